package org.rll4j.models;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Read-only reader of NumPy {@code .npz} archives (a zip of {@code .npy} arrays, as written by
 * {@code numpy.savez} and {@code numpy.savez_compressed}).
 *
 * <p>Why not {@code Nd4j.createFromNpzFile}: in ND4J 1.0.0-M2.1 it walks the zip's local headers by
 * hand, so it rejects {@code savez_compressed} files ("Unsupported data type: ") and gives no tensor
 * name in its errors. This reader uses {@link ZipFile} (stored, deflated, zip64) and parses the
 * {@code .npy} header itself (format versions 1-3; float32, float64, integer and bool data; either
 * byte order; C or Fortran order). Object arrays ({@code '|O'}, pickles) are refused, never
 * unpickled.
 */
final class Npz {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npz() {
    }

    /**
     * Reads every array of {@code file}, keyed by entry name without {@code .npy}, in file order.
     * Float data keeps its type (FLOAT or DOUBLE); integer and bool data become INT64.
     *
     * @throws FileNotFoundException if {@code file} does not exist or is not a regular file
     * @throws IOException           if the file is not a zip of {@code .npy} arrays, or an array is
     *                               truncated or of an unsupported type (the message names the entry)
     */
    static Map<String, INDArray> read(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (!Files.exists(abs)) {
            throw new FileNotFoundException("weights file must exist, found nothing at " + abs
                    + "; export the PyTorch state_dict there with numpy: np.savez('" + abs
                    + "', **{k: v.cpu().numpy() for k, v in state_dict.items()})");
        }
        if (!Files.isRegularFile(abs)) {
            throw new FileNotFoundException("weights file must be a regular .npz file, found a directory or"
                    + " special file at " + abs);
        }
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(abs.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) {
                    continue;
                }
                if (!e.getName().endsWith(".npy")) {
                    throw new IOException("entries of " + abs + " must be .npy arrays (numpy.savez), found '"
                            + e.getName() + "'; a PyTorch .pt/.pth checkpoint must first be converted with"
                            + " np.savez(path, **{k: v.cpu().numpy() for k, v in state_dict.items()})");
                }
                String key = e.getName().substring(0, e.getName().length() - ".npy".length());
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                out.put(key, parseNpy(bytes, key, abs));
            }
        } catch (ZipException ze) {
            throw new IOException("weights file must be an .npz (zip) archive, found unreadable zip data in "
                    + abs + ": " + ze.getMessage(), ze);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Parses one {@code .npy} image; {@code key} and {@code file} only serve error messages. */
    static INDArray parseNpy(byte[] b, String key, Path file) throws IOException {
        String where = "array '" + key + "' in " + file;
        if (b.length < 10 || !Arrays.equals(Arrays.copyOf(b, 6), MAGIC)) {
            throw new IOException(where + " must start with the .npy magic \\x93NUMPY, found "
                    + Math.min(b.length, 6) + " other bytes");
        }
        int major = b[6] & 0xff;
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (b.length < 12) {
                throw new IOException(where + " is truncated inside its header");
            }
            headerLen = buf.getInt(8);
            headerStart = 12;
        } else {
            throw new IOException(where + " must be .npy format version 1, 2 or 3, found " + major);
        }
        if (headerLen < 0 || headerStart + headerLen > b.length) {
            throw new IOException(where + " is truncated inside its header");
        }
        String header = new String(b, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, where, "descr");
        boolean fortran = "True".equals(group(FORTRAN, header, where, "fortran_order"));
        long[] shape = parseShape(group(SHAPE, header, where, "shape"), where);

        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        ByteOrder order = switch (descr.charAt(0)) {
            case '<', '|' -> ByteOrder.LITTLE_ENDIAN;
            case '>' -> ByteOrder.BIG_ENDIAN;
            case '=' -> ByteOrder.nativeOrder();
            default -> throw unsupported(where, descr);
        };
        String type = descr.substring(1);
        int itemSize = switch (type) {
            case "f4", "i4" -> 4;
            case "f8", "i8" -> 8;
            case "i2" -> 2;
            case "i1", "u1", "b1" -> 1;
            default -> throw unsupported(where, descr);
        };
        int dataStart = headerStart + headerLen;
        if ((long) b.length - dataStart < count * itemSize) {
            throw new IOException(where + " must hold " + count + " values of " + descr + " (" + count * itemSize
                    + " bytes), found " + (b.length - dataStart) + " bytes");
        }
        if (count > Integer.MAX_VALUE - 8) {
            throw new IOException(where + " must have fewer than 2^31 values, found " + count);
        }
        ByteBuffer data = ByteBuffer.wrap(b, dataStart, (int) (count * itemSize)).slice().order(order);
        int n = (int) count;
        INDArray flat;
        switch (type) {
            case "f4" -> {
                float[] v = new float[n];
                data.asFloatBuffer().get(v);
                flat = Nd4j.createFromArray(v);
            }
            case "f8" -> {
                double[] v = new double[n];
                data.asDoubleBuffer().get(v);
                flat = Nd4j.createFromArray(v);
            }
            default -> {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = switch (type) {
                        case "i8" -> data.getLong(i * 8);
                        case "i4" -> data.getInt(i * 4);
                        case "i2" -> data.getShort(i * 2);
                        case "i1", "b1" -> data.get(i);
                        default -> data.get(i) & 0xff; // u1
                    };
                }
                flat = Nd4j.createFromArray(v);
            }
        }
        if (shape.length == 0) {
            return flat.reshape(new long[0]);
        }
        if (n == 0) {
            return Nd4j.create(flat.dataType(), shape);
        }
        return flat.reshape(fortran ? 'f' : 'c', shape).dup('c');
    }

    private static IOException unsupported(String where, String descr) {
        return new IOException(where + " must have dtype float32, float64, int or bool ('<f4', '<f8', '<i8',"
                + " ...), found '" + descr + "'; export with v.float().numpy()");
    }

    private static String group(Pattern p, String header, String where, String field) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(where + " must have a '" + field + "' entry in its .npy header, found " + header.trim());
        }
        return m.group(1);
    }

    private static long[] parseShape(String s, String where) throws IOException {
        String[] parts = s.split(",");
        long[] dims = new long[parts.length];
        int n = 0;
        for (String p : parts) {
            String t = p.trim();
            if (t.isEmpty()) {
                continue;
            }
            try {
                dims[n] = Long.parseLong(t.endsWith("L") ? t.substring(0, t.length() - 1) : t);
            } catch (NumberFormatException e) {
                throw new IOException(where + " must have an integer shape, found (" + s + ")", e);
            }
            if (dims[n] < 0) {
                throw new IOException(where + " must have a non-negative shape, found (" + s + ")");
            }
            n++;
        }
        return Arrays.copyOf(dims, n);
    }
}
