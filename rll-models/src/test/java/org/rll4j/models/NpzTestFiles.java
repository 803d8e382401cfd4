package org.rll4j.models;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes {@code .npy}/{@code .npz} files for tests, following the NumPy format specification
 * (magic {@code \x93NUMPY}, version 1.0, little-endian uint16 header length, a Python-dict header
 * padded with spaces and a newline to a multiple of 64 bytes, then the raw C-order data). Independent
 * of the production reader; {@code NpzWeightImporterTest} checks it against ND4J's own npz reader.
 */
final class NpzTestFiles {

    private NpzTestFiles() {
    }

    /** An {@code .npy} image of {@code a}: FLOAT as {@code <f4}, DOUBLE as {@code <f8}, integers as {@code <i8}. */
    static byte[] npy(INDArray a) {
        INDArray c = a.dup('c');
        int n = (int) c.length();
        String descr;
        ByteBuffer data;
        if (a.dataType() == DataType.DOUBLE) {
            descr = "<f8";
            data = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
            data.asDoubleBuffer().put(c.data().asDouble());
        } else if (a.dataType().isFPType()) {
            descr = "<f4";
            data = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
            data.asFloatBuffer().put(c.castTo(DataType.FLOAT).data().asFloat());
        } else {
            descr = "<i8";
            data = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
            data.asLongBuffer().put(c.castTo(DataType.INT64).data().asLong());
        }
        return npy(descr, false, a.shape(), data.array());
    }

    /** A raw {@code .npy} image (any descr, any data, for error cases). */
    static byte[] npy(String descr, boolean fortran, long[] shape, byte[] data) {
        String dims = Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "));
        if (shape.length == 1) {
            dims += ",";
        }
        StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': "
                + (fortran ? "True" : "False") + ", 'shape': (" + dims + "), }");
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.putShort((short) h.length);
        out.put(h).put(data);
        return out.array();
    }

    /** Writes {@code arrays} as {@code name.npy} entries (stored, like {@code numpy.savez}). */
    static void writeNpz(Path file, Map<String, INDArray> arrays) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            entries.put(e.getKey() + ".npy", npy(e.getValue()));
        }
        writeZip(file, entries, false);
    }

    /** Writes raw zip entries, stored or deflated ({@code numpy.savez_compressed}). */
    static void writeZip(Path file, Map<String, byte[]> entries, boolean deflate) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                if (deflate) {
                    z.setMethod(ZipEntry.DEFLATED);
                } else {
                    CRC32 crc = new CRC32();
                    crc.update(e.getValue());
                    z.setMethod(ZipEntry.STORED);
                    z.setSize(e.getValue().length);
                    z.setCompressedSize(e.getValue().length);
                    z.setCrc(crc.getValue());
                }
                zip.putNextEntry(z);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            bytes.writeTo(out);
        }
    }

    /**
     * The parameters of {@code net}'s layers as a PyTorch port would name and lay them out: layer
     * {@code a/b} becomes {@code a_b}; {@code W}/{@code gamma} {@code .weight} (a dense or output
     * layer's transposed to {@code [out, in]}), {@code b}/{@code beta} {@code .bias}, {@code mean}
     * {@code .running_mean}, {@code var} (or {@code log10stdev} converted back to a variance)
     * {@code .running_var}; copies, in graph order. Every layer must be a convolution, batch norm,
     * dense or output layer.
     */
    static Map<String, INDArray> torchTensors(ComputationGraph net) {
        Map<String, INDArray> t = new LinkedHashMap<>();
        for (GraphVertex vertex : PretrainedWeights.inTopologicalOrder(net)) {
            Layer layer = vertex.getLayer();
            org.deeplearning4j.nn.conf.layers.Layer conf = PretrainedWeights.unwrap(layer.conf().getLayer());
            String torch = vertex.getVertexName().replace('/', '_');
            boolean dense = conf instanceof DenseLayer || conf instanceof OutputLayer;
            for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
                INDArray v = p.getValue();
                switch (p.getKey()) {
                    case "W" -> t.put(torch + ".weight", dense ? v.transpose().dup('c') : v.dup());
                    case "gamma" -> t.put(torch + ".weight", v.dup());
                    case "b", "beta" -> t.put(torch + ".bias", v.dup());
                    case "mean" -> t.put(torch + ".running_mean", v.dup());
                    case "var" -> t.put(torch + ".running_var", v.dup());
                    case "log10stdev" -> t.put(torch + ".running_var", BatchNormVariance.toVariance(v));
                    default -> throw new AssertionError(vertex.getVertexName() + " parameter " + p.getKey());
                }
            }
        }
        return t;
    }
}
