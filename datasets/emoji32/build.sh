#!/usr/bin/env bash
# Rebuilds datasets/emoji32/images/ and datasets/emoji32/MANIFEST.sha256 from the npm packages
# emoji-datasource-google and emoji-datasource-twitter (pinned versions, pinned tarball sha256).
#
#   bash datasets/emoji32/build.sh        (from any directory; needs npm, java >= 17, tar, sha256sum)
#   bash datasets/emoji32/build.sh --size 64
#        the full-size 64x64 set (composited onto white, no resize) into datasets/emoji64/ instead;
#        not committed (about 15 MB), used by configs/emoji64.yaml
#
# Steps: npm pack both packages into a temporary directory (only the npm registry is contacted),
# verify the tarballs' sha256, untar the 64x64 images, convert them with BuildEmoji32.java into a
# staging folder next to images/, write the manifest, then replace images/ and MANIFEST.sha256 by
# rename. The temporary and staging directories are removed on exit, also on failure.
# Re-running it reproduces byte-identical files (same JDK/zlib; see README.md).
set -euo pipefail

VERSION=16.0.0
GOOGLE_PKG=emoji-datasource-google
TWITTER_PKG=emoji-datasource-twitter
GOOGLE_SHA256=fb5fd131b362aab7a55542d2a147a79708cce0a8b1c1bbacd470172708b5c438
TWITTER_SHA256=f64a530c63bca463bd8317fdc4615ce63a53a0c65018e4ce2d848aaba7a28877

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SIZE=32
if [[ $# -gt 0 ]]; then
    [[ $# -eq 2 && "$1" == "--size" && ( "$2" == 32 || "$2" == 64 ) ]] || { echo "usage: build.sh [--size 32|64]" >&2; exit 2; }
    SIZE="$2"
fi
OUTDIR="$HERE"
if [[ "$SIZE" == 64 ]]; then
    OUTDIR="$(dirname "$HERE")/emoji64"
    mkdir -p "$OUTDIR"
fi
TARGET="$OUTDIR/images"
MANIFEST="$OUTDIR/MANIFEST.sha256"

die() { echo "build.sh: ERROR: $*" >&2; exit 1; }
log() { echo "build.sh: $*" >&2; }

for tool in npm java tar sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH"
done
JAVA_SPEC="$(java -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = //p')"
[[ "$JAVA_SPEC" =~ ^[0-9]+$ && "$JAVA_SPEC" -ge 17 ]] \
    || die "Java 17 or newer is required (java.specification.version='$JAVA_SPEC')"

WORK=""
STAGE=""
OLD=""
cleanup() {
    local rc=$?
    # If we stopped between moving the old images away and moving the new ones in, restore.
    if [[ -n "$OLD" && -d "$OLD" && ! -e "$TARGET" ]]; then
        mv "$OLD" "$TARGET" || true
    fi
    [[ -n "$OLD" && -d "$OLD" ]] && rm -rf "$OLD"
    [[ -n "$STAGE" && -d "$STAGE" ]] && rm -rf "$STAGE"
    [[ -n "$WORK" && -d "$WORK" ]] && rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK="$(mktemp -d "${TMPDIR:-/tmp}/emoji32-build.XXXXXX")"

log "npm pack $GOOGLE_PKG@$VERSION $TWITTER_PKG@$VERSION (about 136 MB)"
npm pack --silent --ignore-scripts --pack-destination "$WORK" \
    "$GOOGLE_PKG@$VERSION" "$TWITTER_PKG@$VERSION" >/dev/null

verify_sha256() {
    local file="$1" expected="$2" actual
    [[ -f "$file" ]] || die "npm pack did not produce $file"
    actual="$(sha256sum "$file" | cut -d' ' -f1)"
    if [[ "$actual" != "$expected" ]]; then
        die "sha256 mismatch for $(basename "$file"): expected $expected, got $actual" \
            "(the registry served different content for this version; not converting)"
    fi
    log "sha256 ok: $(basename "$file") $actual"
}
GOOGLE_TGZ="$WORK/$GOOGLE_PKG-$VERSION.tgz"
TWITTER_TGZ="$WORK/$TWITTER_PKG-$VERSION.tgz"
verify_sha256 "$GOOGLE_TGZ" "$GOOGLE_SHA256"
verify_sha256 "$TWITTER_TGZ" "$TWITTER_SHA256"

mkdir "$WORK/google" "$WORK/twitter"
tar -xzf "$GOOGLE_TGZ" -C "$WORK/google" --no-same-owner --no-same-permissions package/img/google/64
tar -xzf "$TWITTER_TGZ" -C "$WORK/twitter" --no-same-owner --no-same-permissions package/img/twitter/64

# Staging folder next to the target (same file system, so the final moves are renames).
STAGE="$(mktemp -d "$OUTDIR/.images.tmp.XXXXXX")"
log "converting into $STAGE"
java -Djava.awt.headless=true "$HERE/BuildEmoji32.java" \
    "$WORK/google/package/img/google/64" "$WORK/twitter/package/img/twitter/64" "$STAGE/images" "$SIZE" >&2

# Every class folder must hold exactly google.png and twitter.png.
CLASSES=0
for d in "$STAGE/images"/*/; do
    files="$(cd "$d" && LC_ALL=C ls -A | tr '\n' ' ')"
    [[ "$files" == "google.png twitter.png " ]] || die "class folder $d holds '$files'"
    CLASSES=$((CLASSES + 1))
done
[[ "$CLASSES" -gt 0 ]] || die "no classes were written"

# Manifest: sha256 of every image, paths relative to datasets/emoji32, sorted bytewise by path.
# Check with: cd datasets/emoji32 && sha256sum -c --quiet MANIFEST.sha256
(cd "$STAGE" && find images -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    > "$STAGE/MANIFEST.sha256"
[[ "$(wc -l < "$STAGE/MANIFEST.sha256")" -eq $((2 * CLASSES)) ]] \
    || die "manifest line count is not 2 x $CLASSES"

chmod 755 "$STAGE/images"
chmod 644 "$STAGE/MANIFEST.sha256"
if [[ -e "$TARGET" ]]; then
    OLD="$OUTDIR/.images.old.$$"
    mv "$TARGET" "$OLD"
fi
mv "$STAGE/images" "$TARGET"
mv "$STAGE/MANIFEST.sha256" "$MANIFEST"
[[ -n "$OLD" ]] && rm -rf "$OLD"
OLD=""

log "done: $CLASSES classes x 2 images in $TARGET"
log "manifest: $MANIFEST (sha256 $(sha256sum "$MANIFEST" | cut -d' ' -f1))"
