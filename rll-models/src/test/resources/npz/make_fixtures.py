"""Writes the .npz fixtures read by NpzWeightImporterTest (run from this directory; numpy 2.4.6 made the
committed files). The values are small and exact in float32 so that the Java test can spell them out."""
import numpy as np

arrays = {
    # PyTorch-port naming: '/' in the Caffe layer name became '_'
    "conv1_7x7_s2.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 4,   # C order, little endian
    "conv1_7x7_s2_bn.running_var": np.array([0.25, 4.0], dtype=np.float64),            # float64
    "conv1_7x7_s2_bn.num_batches_tracked": np.array(7, dtype=np.int64),                 # 0-d int64 buffer
    "fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),         # fortran_order True
    "big_endian": np.array([1.5, -2.0, 3.25], dtype=">f4"),
    "scalar": np.array(-0.5, dtype=np.float32),                                         # shape ()
    "inception_3a/1x1.bias": np.array([0.125, -8.0], dtype=np.float32),                 # slash form in the key
}
np.savez("numpy_savez.npz", **arrays)
np.savez_compressed("numpy_savez_compressed.npz", **arrays)
