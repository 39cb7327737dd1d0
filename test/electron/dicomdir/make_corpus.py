#!/usr/bin/python3
"""Copies pydicom test files into a folder, each with its own SOP Instance UID (several pydicom files
are the same instance in different encodings), keeping each file's transfer syntax and pixel bytes.

Usage: make_corpus.py <out-dir> <file>...   prints {"<name>": {"sop": …, "ts": …, "source": …}} as JSON
Names starting with "synthetic:" (synthetic:GSPS, synthetic:KO, synthetic:PDF) are made here: pydicom ships
no presentation state, key object selection or encapsulated document.
"""
import hashlib
import json
import os
import sys

import pydicom
from pydicom.data import get_testdata_file


def synthetic(kind, uid):
    """A minimal object of a non-image class with the attributes its directory record reads."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian

    classes = {"GSPS": ("1.2.840.10008.5.1.4.1.1.11.1", "PR"), "KO": ("1.2.840.10008.5.1.4.1.1.88.59", "KO"),
               "PDF": ("1.2.840.10008.5.1.4.1.1.104.1", "DOC")}
    sop_class, modality = classes[kind]
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid
    ds.StudyDate, ds.StudyTime, ds.StudyID, ds.AccessionNumber = "20240102", "101010", "7", ""
    ds.PatientName, ds.PatientID = "Synthetic^Objects", "SYN1"
    ds.Modality = modality
    ds.StudyInstanceUID = "2.25.1111"
    ds.SeriesInstanceUID = "2.25.2222" + str(len(kind))
    ds.SeriesNumber, ds.InstanceNumber = 3, 1
    ds.ContentDate, ds.ContentTime = "20240102", "101112"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "113000", "DCM", "Of Interest"
    if kind == "GSPS":
        ds.ContentLabel, ds.ContentDescription, ds.ContentCreatorName = "ROI", "", ""
        ds.PresentationCreationDate, ds.PresentationCreationTime = "20240102", "101112"
        ref = Dataset()
        ref.SeriesInstanceUID = "2.25.3333"
        img = Dataset()
        img.ReferencedSOPClassUID, img.ReferencedSOPInstanceUID = "1.2.840.10008.5.1.4.1.1.2", "2.25.4444"
        ref.ReferencedImageSequence = Sequence([img])
        ds.ReferencedSeriesSequence = Sequence([ref])
    elif kind == "KO":
        ds.ConceptNameCodeSequence = Sequence([code])
        ds.ValueType = "CONTAINER"
    else:
        ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
        ds.DocumentTitle = "Report"
        ds.ConceptNameCodeSequence = Sequence([])
        ds.EncapsulatedDocument = b"%PDF-1.4\n%%EOF\n"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.is_little_endian, ds.is_implicit_VR = True, False
    return ds


def main(out, names):
    manifest = {}
    for name in names:
        if name.startswith("synthetic:"):
            uid = "2.25." + str(int(hashlib.md5(name.encode()).hexdigest(), 16))
            ds = synthetic(name.split(":", 1)[1], uid)
            dest = os.path.join(out, name.split(":", 1)[1] + ".dcm")
            ds.save_as(dest, write_like_original=False)
            manifest[name] = {"sop": uid, "ts": str(ds.file_meta.TransferSyntaxUID), "source": dest}
            continue
        src = get_testdata_file(name)
        ds = pydicom.dcmread(src, force=True)
        uid = "2.25." + str(int(hashlib.md5(name.encode()).hexdigest(), 16))
        ds.SOPInstanceUID = uid
        meta = getattr(ds, "file_meta", None)
        if meta is not None and "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = uid
        dest = os.path.join(out, name)
        ds.save_as(dest, write_like_original=True)
        ts = meta.get("TransferSyntaxUID", "") if meta is not None else ""
        manifest[name] = {"sop": uid, "ts": str(ts), "source": src}
    print(json.dumps(manifest))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
