package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The BOM (rll4j-bom) stays true to the build: it has no parent (an imported BOM brings its whole effective
 * dependencyManagement), its version and DL4J version are the parent's, and it manages exactly the modules a
 * user can depend on (every module of the build but the BOM itself and the benchmarks), each of which exists.
 */
class BomConsistencyTest {

    private static final Path ROOT = Path.of("..");
    private static final Set<String> NOT_IN_BOM = Set.of("rll4j-bom", "rll-bench");

    @Test
    void theBomManagesEveryUserFacingModuleAtTheBuildsVersions() throws Exception {
        Element parent = read(ROOT.resolve("pom.xml"));
        Element bom = read(ROOT.resolve("rll4j-bom/pom.xml"));
        assertTrue(children(bom, "parent").isEmpty(), "the BOM must not have a parent");
        String version = text(parent, "version");
        assertEquals(version, text(bom, "version"), "rll4j-bom/pom.xml <version>");
        Element bomProperties = children(bom, "properties").get(0);
        Element parentProperties = children(parent, "properties").get(0);
        assertEquals(version, text(bomProperties, "rll4j.version"), "rll4j-bom/pom.xml <rll4j.version>");
        assertEquals(text(parentProperties, "dl4j.version"), text(bomProperties, "dl4j.version"), "rll4j-bom/pom.xml <dl4j.version>");
        for (String property : List.of("dl4j.spark.version", "scala.version")) {
            assertEquals(text(parentProperties, property), text(bomProperties, property), "rll4j-bom/pom.xml <" + property + ">");
        }

        Set<String> modules = new TreeSet<>();
        for (Element m : children(children(parent, "modules").get(0), "module")) {
            modules.add(m.getTextContent().trim());
        }
        assertTrue(modules.contains("rll4j-bom"), "the BOM is built (and installed) with the rest: " + modules);
        Set<String> expected = new TreeSet<>(modules);
        expected.removeAll(NOT_IN_BOM);

        Set<String> managed = new TreeSet<>();
        Element management = children(bom, "dependencyManagement").get(0);
        for (Element d : children(children(management, "dependencies").get(0), "dependency")) {
            if (text(d, "groupId").equals("org.rll4j")) {
                managed.add(text(d, "artifactId"));
                assertEquals("${rll4j.version}", text(d, "version"), text(d, "artifactId"));
            } else {
                // DL4J's Spark modules stop at 1.0.0-M2 (dl4j.spark.version); Scala is pinned for Java 17 (scala.version)
                String property = text(d, "artifactId").startsWith("dl4j-spark") ? "dl4j.spark.version"
                        : text(d, "groupId").equals("org.scala-lang") ? "scala.version" : "dl4j.version";
                assertEquals("${" + property + "}", text(d, "version"), text(d, "groupId") + ":" + text(d, "artifactId"));
            }
        }
        assertEquals(expected, managed, "the rll4j artifacts the BOM manages");
        for (String module : managed) {
            Element pom = read(ROOT.resolve(module).resolve("pom.xml"));
            assertEquals(module, text(pom, "artifactId"), module + "/pom.xml <artifactId> (the BOM names modules by artifact)");
        }
    }

    private static Element read(Path pom) throws Exception {
        assertTrue(Files.isRegularFile(pom), pom + " is missing");
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        return doc.getDocumentElement();
    }

    /** The direct child elements of {@code e} named {@code name}. */
    private static List<Element> children(Element e, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                out.add(c);
            }
        }
        return out;
    }

    private static String text(Element e, String name) {
        List<Element> c = children(e, name);
        assertEquals(1, c.size(), "<" + e.getTagName() + "> must have one <" + name + ">");
        return c.get(0).getTextContent().trim();
    }
}
