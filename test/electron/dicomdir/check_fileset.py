#!/usr/bin/python3
"""Walks a file-set with pydicom's FileSet and compares exported pixels with reference files.

Usage: check_fileset.py <DICOMDIR> <pairs.json>
pairs.json: [{"sop": "…", "reference": "<path>"}] — each exported instance's pixels must equal the
reference's as pydicom decodes them (reference files are uncompressed or RLE, which pydicom decodes).
Prints JSON: {"instances": [{"path", "sop", "recordSop", "recordType", "sopClass", "ts", "photometric"}],
              "pixels": {"<sop>": "equal" | "<why not>"}}
"""
import json
import sys

import numpy as np
import pydicom
from pydicom.fileset import FileSet


def main(dicomdir, pairs_path):
    fs = FileSet(dicomdir)
    out = {"fileSetId": fs.ID, "instances": [], "pixels": {}}
    by_sop = {}
    for inst in fs:
        ds = inst.load()
        by_sop[ds.SOPInstanceUID] = ds
        out["instances"].append({
            "path": inst.path,
            "recordSop": inst.ReferencedSOPInstanceUIDInFile,
            "sop": str(ds.SOPInstanceUID),
            "recordType": inst.DirectoryRecordType,
            "sopClass": str(ds.SOPClassUID),
            "ts": str(ds.file_meta.TransferSyntaxUID),
            "recordTs": str(inst.ReferencedTransferSyntaxUIDInFile),
            "photometric": str(ds.get("PhotometricInterpretation", "")),
            "lossy": str(ds.get("LossyImageCompression", "")),
        })
    with open(pairs_path) as f:
        pairs = json.load(f)
    for pair in pairs:
        sop = pair["sop"]
        try:
            got = by_sop[sop].pixel_array
            ref = pydicom.dcmread(pair["reference"], force=True).pixel_array
            if got.shape != ref.shape:
                out["pixels"][sop] = f"shape {got.shape} != {ref.shape}"
            elif not np.array_equal(got, ref):
                out["pixels"][sop] = f"{int(np.count_nonzero(got != ref))} values differ, max diff {int(np.max(np.abs(got.astype(np.int64) - ref.astype(np.int64))))}"
            else:
                out["pixels"][sop] = "equal"
        except Exception as e:  # noqa: BLE001
            out["pixels"][sop] = f"{type(e).__name__}: {e}"
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
