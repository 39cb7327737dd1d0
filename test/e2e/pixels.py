"""Independent reference values for the viewer's pixel tests, computed with pydicom + numpy.

  pixels.py expected <file> <window_center> <window_width> <block>
      → {"rows", "columns", "color", "blocks": [[mean per block (grey) or [r,g,b]]...]}
      Greyscale: modality LUT (rescale slope/intercept), then the linear VOI window (PS3.3 C.11.2.1.2),
      MONOCHROME1 inverted; colour: RGB as stored (YBR converted). Means over block×block pixels.
  pixels.py palette <out_dir>
      Writes PALETTE_COLOR.dcm: 8-bit indices through 16-bit red/green/blue LUTs (PS3.3 C.7.6.3.1.5),
      for the one photometric interpretation pydicom's test files lack.
  pixels.py uniquify <out_dir> <file>...
      Copies each file with its own Series/SOP Instance UIDs (SeriesDescription = file name), so files
      that share UIDs (pydicom's MR_small variants) become separate series in one library.
"""
import json
import warnings
import os
import sys

import numpy as np
import pydicom
from pydicom.uid import generate_uid


def expected(path, wc, ww, block):
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2'))
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    if frames > 1:
        arr = arr[0]
    color = ds.get('SamplesPerPixel', 1) == 3 or photometric == 'PALETTE COLOR'
    if photometric == 'PALETTE COLOR':
        from pydicom.pixel_data_handlers.util import apply_color_lut
        # 16-bit LUT entries shown on an 8-bit display: the high byte.
        arr = apply_color_lut(arr, ds).astype(np.float64) / 256.0
        out = np.clip(((arr - wc) / ww + 0.5) * 255.0, 0, 255)
    elif color:
        if photometric in ('YBR_FULL', 'YBR_FULL_422'):
            # pydicom returns YBR_FULL_422 already upsampled, i.e. as YBR_FULL.
            from pydicom.pixel_data_handlers.util import convert_color_space
            arr = convert_color_space(arr, 'YBR_FULL', 'RGB')
        out = arr.astype(np.float64)
        # The viewer applies its window to colour too (default W 255 L 127.5 leaves values as they are).
        out = np.clip(((out - wc) / ww + 0.5) * 255.0, 0, 255)
    else:
        slope = float(ds.get('RescaleSlope', 1) or 1)
        intercept = float(ds.get('RescaleIntercept', 0) or 0)
        mod = arr.astype(np.float64) * slope + intercept
        out = np.clip(((mod - (wc - 0.5)) / (ww - 1) + 0.5) * 255.0, 0, 255)
        if photometric == 'MONOCHROME1':
            out = 255.0 - out
    rows, cols = out.shape[0], out.shape[1]
    blocks = []
    for y in range(0, rows - rows % block, block):
        row = []
        for x in range(0, cols - cols % block, block):
            b = out[y:y + block, x:x + block]
            row.append(b.reshape(-1, 3).mean(axis=0).round(2).tolist() if color else round(float(b.mean()), 2))
        blocks.append(row)
    return {'rows': rows, 'columns': cols, 'color': bool(color), 'blocks': blocks}


def palette(out_dir):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian
    rows, cols = 64, 96
    idx = (np.add.outer(np.arange(rows) * 2, np.arange(cols) * 2) % 256).astype(np.uint8)
    ramp = np.arange(256)
    red = (ramp * 257).astype(np.uint16)
    green = ((255 - ramp) * 257).astype(np.uint16)
    blue = (((ramp * 7) % 256) * 257).astype(np.uint16)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.7'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = 'Palette^Test'
    ds.PatientID = 'PAL1'
    ds.Modality = 'OT'
    ds.SeriesDescription = 'PALETTE_COLOR.dcm'
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = 'PALETTE COLOR'
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.RedPaletteColorLookupTableDescriptor = [256, 0, 16]
    ds.GreenPaletteColorLookupTableDescriptor = [256, 0, 16]
    ds.BluePaletteColorLookupTableDescriptor = [256, 0, 16]
    ds.RedPaletteColorLookupTableData = red.tobytes()
    ds.GreenPaletteColorLookupTableData = green.tobytes()
    ds.BluePaletteColorLookupTableData = blue.tobytes()
    ds.PixelData = idx.tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    path = os.path.join(out_dir, 'PALETTE_COLOR.dcm')
    ds.save_as(path, write_like_original=False)
    return {'file': path}


def uniquify(out_dir, files):
    done = []
    skipped = []
    for i, path in enumerate(files):
        name = os.path.basename(path)
        try:
            ds = pydicom.dcmread(path)
        except Exception as e:  # unreadable for pydicom too: not a decoding test
            skipped.append(name)
            continue
        if 'PixelData' not in ds:
            continue
        ds.SeriesInstanceUID = generate_uid()
        ds.SOPInstanceUID = generate_uid()
        if 'file_meta' in dir(ds) and ds.file_meta is not None and 'MediaStorageSOPInstanceUID' in ds.file_meta:
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesDescription = name
        ds.SeriesNumber = i + 1
        try:
            ds.save_as(os.path.join(out_dir, name), write_like_original=True)
            done.append(name)
        except Exception:
            skipped.append(name)
            if os.path.exists(os.path.join(out_dir, name)):
                os.remove(os.path.join(out_dir, name))
    return {'files': done, 'skipped': skipped}


if __name__ == '__main__':
    warnings.simplefilter('ignore')
    if sys.argv[1] == 'expected':
        print(json.dumps(expected(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))))
    elif sys.argv[1] == 'palette':
        print(json.dumps(palette(sys.argv[2])))
    elif sys.argv[1] == 'uniquify':
        print(json.dumps(uniquify(sys.argv[2], sys.argv[3:])))
