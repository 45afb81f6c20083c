"""Cross-checks mpsl's safetensors files with the reference Python library (used by SafetensorsPythonTest).

  read FILE   load FILE with safetensors.safe_open and print, as JSON, each tensor's dtype, shape and
              little-endian bytes in hex, plus the metadata
  write FILE  save known tensors (F32, I32, F16, F64) and metadata with safetensors.numpy.save_file
"""
import json
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def known(n, dtype):
    i = np.arange(n)
    return ((i % 97 - 48) / 16).astype(dtype)


def main():
    command, path = sys.argv[1], sys.argv[2]
    if command == "read":
        out = {"tensors": {}, "metadata": None}
        with safe_open(path, framework="numpy") as f:
            out["metadata"] = f.metadata()
            for name in f.keys():
                a = f.get_tensor(name)
                out["tensors"][name] = {
                    "dtype": a.dtype.str,
                    "shape": list(a.shape),
                    "hex": a.astype(a.dtype.newbyteorder("<")).tobytes().hex(),
                }
        print(json.dumps(out))
    elif command == "write":
        tensors = {
            "w32": known(6 * 7, np.float32).reshape(6, 7),
            "labels": (np.arange(10, dtype=np.int64) ** 2 - 50).astype(np.int32),
            "half": known(33, np.float16).reshape(3, 11),
            "double": known(5, np.float64),
            "scalar": np.array(1.5, dtype=np.float32),
        }
        save_file(tensors, path, metadata={"framework": "np", "note": "\u00fcn\u00ef \"q\""})
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main()
