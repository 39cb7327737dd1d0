#!/usr/bin/python3
"""Lists what pydicom reads below a folder: one JSON object with the instances, studies and series
it finds, for tests that compare Courier's indexing with an independent toolkit.

Usage: pydicom_inventory.py <folder>
Files pydicom cannot read, DICOMDIRs (file-set directories, not instances) and files without a SOP
Instance UID (in the dataset or the meta header) are listed under "unreadable" with the reason;
files with one but without a Study or Series Instance UID under "unfiled" (Courier's Unfiled group).
"""
import json
import os
import sys

import pydicom
from pydicom.errors import InvalidDicomError

DIRECTORY_CLASS = "1.2.840.10008.1.3.10"


def main(root):
    instances, unfiled, unreadable = {}, {}, {}
    for folder, _dirs, files in os.walk(root):
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True, force=False)
            except InvalidDicomError:
                try:
                    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
                    if "SOPInstanceUID" not in ds:
                        raise InvalidDicomError("not DICOM")
                except Exception as e:  # noqa: BLE001 - any failure means pydicom cannot read it
                    unreadable[path] = f"not DICOM: {e}"
                    continue
            except Exception as e:  # noqa: BLE001
                unreadable[path] = f"{type(e).__name__}: {e}"
                continue
            meta = getattr(ds, "file_meta", None)
            sop_class = str(ds.get("SOPClassUID", "") or (meta.get("MediaStorageSOPClassUID", "") if meta else ""))
            if sop_class == DIRECTORY_CLASS:
                unreadable[path] = "DICOMDIR"
                continue
            try:
                uids = [str(ds.get(k, "") or "") for k in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")]
                name_value = str(ds.get("PatientName", "") or "")
            except Exception as e:  # noqa: BLE001
                unreadable[path] = f"{type(e).__name__}: {e}"
                continue
            uids[0] = uids[0] or str(meta.get("MediaStorageSOPInstanceUID", "") if meta else "")
            if not uids[0] or not sop_class:
                unreadable[path] = "missing key UIDs"
                continue
            if not all(uids):
                unfiled.setdefault(uids[0], []).append(path)
                continue
            instances.setdefault(uids[0], {"study": uids[1], "series": uids[2], "paths": [], "PatientName": name_value})
            instances[uids[0]]["paths"].append(path)
    json.dump(
        {
            "instances": instances,
            "studies": sorted({v["study"] for v in instances.values()}),
            "series": sorted({v["series"] for v in instances.values()}),
            "unfiled": unfiled,
            "unreadable": unreadable,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1])
