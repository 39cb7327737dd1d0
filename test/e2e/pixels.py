"""Independent reference values for the viewer's pixel tests, computed with pydicom + numpy.

  pixels.py expected <spec.json>
      spec: [{"path", "frame", "wc", "ww", "voiLut", "overlays", "block"}] → one result each:
      {"rows", "columns", "color", "blocks": [[mean per block (grey) or [r,g,b]]...]}.
      Greyscale: pydicom's apply_modality_lut (rescale or Modality LUT Sequence, PS3.3 C.11.1), then
      pydicom's apply_voi (the VOI LUT, when the viewer shows it) or apply_windowing with the viewer's
      window and the file's VOI LUT Function (LINEAR, LINEAR_EXACT, SIGMOID; C.11.2), MONOCHROME1
      inverted; an enhanced object's frame takes its functional groups' values (C.7.6.16); a
      supplemental palette colours the stored values from its first value mapped (C.8.16.2.1.1.1);
      colour: RGB (YBR converted, PALETTE COLOR through its tables) scaled to 8 bits, through the
      window; overlay planes (C.9.2) in yellow when "overlays". Means over block×block pixels.
  pixels.py make <out_dir>
      Writes the images the viewer's display tests need that pydicom's test files lack (see MAKERS),
      each its own series named by its file name.
  pixels.py values <spec.json>
      spec: [{"path", "out"}]. Every frame's values as pydicom decodes them, written to out as little-endian float64:
      greyscale stored values (Float Pixel Data as is), colour as R, G, B samples (YBR converted to
      RGB, PALETTE COLOR through its tables). Prints one {"frames", "rows", "columns", "samples",
      "bits" (of a sample, or of a palette entry), "photometric"} for each.
  pixels.py uniquify <out_dir> <file>...
      Copies each file with its own Series/SOP Instance UIDs (SeriesDescription = file name), so files
      that share UIDs (pydicom's MR_small variants) become separate series in one library.
"""
import copy
import json
import warnings
import os
import sys

import numpy as np
import pydicom
from pydicom.uid import generate_uid


from pydicom.pixel_data_handlers.util import apply_color_lut, apply_modality_lut, apply_voi, apply_windowing, convert_color_space

OVERLAY_RGB = [255.0, 255.0, 0.0]
FRAME_MACROS = ('PixelValueTransformationSequence', 'FrameVOILUTSequence', 'PixelMeasuresSequence')


def read(path):
    """pydicom's reading of `path`, files without a meta header included (their syntax as pydicom sniffed it)."""
    ds = pydicom.dcmread(path, force=True)
    if 'TransferSyntaxUID' not in getattr(ds, 'file_meta', {}):
        from pydicom.dataset import FileMetaDataset
        from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = (ImplicitVRLittleEndian if ds.is_implicit_VR else
                                          ExplicitVRLittleEndian if ds.is_little_endian else ExplicitVRBigEndian)
    return ds


def frame_view(ds, frame):
    """The dataset as frame `frame` sees it: its Shared, then Per-frame functional group macros at the top level."""
    view = copy.deepcopy(ds)
    for keyword, index in (('SharedFunctionalGroupsSequence', 0), ('PerFrameFunctionalGroupsSequence', frame)):
        items = ds.get(keyword)
        if not items or index >= len(items):
            continue
        for macro in FRAME_MACROS:
            if macro in items[index] and len(items[index][macro].value):
                for elem in items[index][macro][0]:
                    view[elem.tag] = elem
    return view


def display(path, frame, wc, ww, voi_lut):
    """Frame `frame` of `path` as an 8-bit display would show it (float, rows×cols or rows×cols×3)."""
    ds = read(path)
    arr = ds.pixel_array
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    if frames > 1:
        arr = arr[frame]
    photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2'))
    if photometric == 'PALETTE COLOR':
        bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
        rgb = np.floor(apply_color_lut(arr, ds).astype(np.float64) / 2 ** (bits - 8))
        return window_colour(rgb, wc, ww)
    if ds.get('SamplesPerPixel', 1) == 3:
        if photometric.startswith('YBR'):
            # pydicom returns YBR_FULL_422 upsampled, i.e. as YBR_FULL.
            arr = convert_color_space(arr, 'YBR_FULL', 'RGB')
        bits = min(int(ds.BitsStored), int(ds.BitsAllocated))
        return window_colour(np.round(arr.astype(np.float64) * 255.0 / (2 ** bits - 1)), wc, ww)
    view = frame_view(ds, frame)
    is_float = 'FloatPixelData' in ds or 'DoubleFloatPixelData' in ds
    if is_float:
        # apply_windowing needs a stored range; float data has none (only the output range depends on it).
        view.BitsStored, view.PixelRepresentation = 16, 0
    stored = arr.astype(np.float64)
    modality = stored if is_float else apply_modality_lut(arr, view).astype(np.float64)
    if voi_lut:
        item = view.VOILUTSequence[0]
        out = apply_voi(modality, view).astype(np.float64) * 255.0 / (2 ** int(item.LUTDescriptor[2]) - 1)
    else:
        function = str(view.get('VOILUTFunction', 'LINEAR_EXACT' if is_float else 'LINEAR'))
        view.WindowCenter, view.WindowWidth, view.VOILUTFunction = wc, ww, function
        y_min, y_max = apply_windowing(np.array([-1e300, 1e300]), view)
        out = (apply_windowing(modality, view) - y_min) * 255.0 / (y_max - y_min)
    if photometric == 'MONOCHROME1':
        out = 255.0 - out
    if str(ds.get('PixelPresentation', '')) in ('COLOR', 'MIXED') and 'RedPaletteColorLookupTableDescriptor' in ds:
        entries, first, bits = [int(v) for v in ds.RedPaletteColorLookupTableDescriptor]
        entries = entries or 65536
        rgb = np.repeat(out[..., np.newaxis], 3, axis=2)
        tables = [np.frombuffer(ds[k].value, '<u2' if bits > 8 else 'u1')[:entries] // 2 ** max(0, bits - 8)
                  for k in ('RedPaletteColorLookupTableData', 'GreenPaletteColorLookupTableData', 'BluePaletteColorLookupTableData')]
        coloured = stored >= first
        index = np.clip(stored[coloured].astype(np.int64) - first, 0, entries - 1)
        for c in range(3):
            rgb[..., c][coloured] = tables[c][index]
        return rgb
    return out


def window_colour(rgb, wc, ww):
    """The viewer's window on each colour channel (LINEAR, C.11.2.1.2.1); 128/256 leaves values as they are."""
    lo, hi = wc - 0.5 - (ww - 1) / 2, wc - 0.5 + (ww - 1) / 2
    out = ((rgb - (wc - 0.5)) / (ww - 1) + 0.5) * 255.0
    return np.where(rgb <= lo, 0.0, np.where(rgb > hi, 255.0, np.round(out)))


def with_overlays(path, frame, out):
    """Overlay planes (groups 6000-601E with Overlay Data) painted over `out` in the overlay colour."""
    ds = read(path)
    if out.ndim == 2:
        out = np.repeat(out[..., np.newaxis], 3, axis=2)
    for group in range(0x6000, 0x6020, 2):
        if (group, 0x3000) not in ds:
            continue
        rows, cols = int(ds[group, 0x0010].value), int(ds[group, 0x0011].value)
        origin = [int(v) for v in ds[group, 0x0050].value] if (group, 0x0050) in ds else [1, 1]
        count = int(ds[group, 0x0015].value) if (group, 0x0015) in ds else 1
        first = int(ds[group, 0x0051].value) - 1 if (group, 0x0051) in ds else 0
        index = frame - first if count > 1 else 0
        if index < 0 or index >= count:
            continue
        bits = np.unpackbits(np.frombuffer(ds[group, 0x3000].value, np.uint8), bitorder='little')
        plane = bits[index * rows * cols:(index + 1) * rows * cols].reshape(rows, cols).astype(bool)
        r0, c0 = origin[0] - 1, origin[1] - 1
        region = out[r0:r0 + rows, c0:c0 + cols]
        region[plane[:region.shape[0], :region.shape[1]]] = OVERLAY_RGB
    return out


def expected(spec):
    results = []
    for item in spec:
        out = display(item['path'], item.get('frame', 0), float(item['wc']), float(item['ww']), item.get('voiLut', False))
        if item.get('overlays'):
            out = with_overlays(item['path'], item.get('frame', 0), out)
        out = np.clip(out, 0, 255)
        block = int(item['block'])
        color = out.ndim == 3
        rows, cols = out.shape[0], out.shape[1]
        blocks = []
        for y in range(0, rows - rows % block, block):
            row = []
            for x in range(0, cols - cols % block, block):
                b = out[y:y + block, x:x + block]
                row.append(b.reshape(-1, 3).mean(axis=0).round(2).tolist() if color else round(float(b.mean()), 2))
            blocks.append(row)
        results.append({'rows': rows, 'columns': cols, 'color': bool(color), 'blocks': blocks})
    return results


def base(name, rows, cols, sop='1.2.840.10008.5.1.4.1.1.7', **attrs):
    """A minimal image dataset (Explicit VR Little Endian) named `name` in its Series Description."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID, ds.SOPInstanceUID = sop, ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = STUDY_UID, generate_uid()
    ds.PatientName, ds.PatientID = 'Display^Test', 'DISPLAY1'
    ds.Modality, ds.SeriesDescription, ds.SeriesNumber, ds.InstanceNumber = 'OT', name, len(MAKERS), 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, 'MONOCHROME2'
    ds.Rows, ds.Columns = rows, cols
    for k, v in attrs.items():
        setattr(ds, k, v)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    return ds


STUDY_UID = generate_uid()
ROWS, COLS = 64, 96
# A diagonal ramp with a bright square: gradients and an edge in every image.
RAMP = np.add.outer(np.arange(ROWS), np.arange(COLS)).astype(np.float64) / (ROWS + COLS - 2)
RAMP[16:32, 24:48] = 1.0


def smooth(ramp, top):
    """A third table that is neither of the others (and has no steps: block means compare it well)."""
    return np.round(top / 2 + top / 2 * np.sin(ramp * 2 * np.pi / top)).astype(int)


def grey16(name, values, signed=False, **attrs):
    ds = base(name, ROWS, COLS, BitsAllocated=16, BitsStored=16, HighBit=15, PixelRepresentation=int(signed), **attrs)
    ds.PixelData = values.astype('<i2' if signed else '<u2').tobytes()
    return ds


def lut_item(first, bits, data, vr='US'):
    from pydicom.dataset import Dataset
    item = Dataset()
    item.add_new(0x00283002, vr, [len(data) % 65536, first, bits])
    item.add_new(0x00283006, 'OW', np.asarray(data, '<u2').tobytes())
    return item


def modality_lut():
    """A non-linear Modality LUT Sequence (a square law, 4096 entries from stored value 100, C.11.1)."""
    from pydicom.sequence import Sequence
    ds = grey16('modality_lut.dcm', 100 + RAMP * 4200)
    ds.ModalityLUTSequence = Sequence([lut_item(100, 16, ((np.arange(4096) / 4095.0) ** 2 * 60000).astype(int))])
    ds.ModalityLUTSequence[0].ModalityLUTType = 'OD'
    return ds


def voi_lut():
    """A VOI LUT Sequence and no window: the LUT is what the image shows (C.11.2.1.1), 12-bit entries."""
    from pydicom.sequence import Sequence
    ds = grey16('voi_lut.dcm', RAMP * 3000)
    ds.VOILUTSequence = Sequence([lut_item(500, 12, (np.sqrt(np.arange(2000) / 1999.0) * 4095).astype(int))])
    ds.VOILUTSequence[0].LUTExplanation = 'SQRT'
    return ds


def sigmoid():
    """A window with VOI LUT Function SIGMOID (C.11.2.1.3.1) on rescaled CT values."""
    return grey16('sigmoid.dcm', RAMP * 2000, RescaleIntercept=-1024, RescaleSlope=1, WindowCenter=0, WindowWidth=600,
                  VOILUTFunction='SIGMOID')


def enhanced_ct():
    """An Enhanced CT image of three frames: rescale in the Shared functional groups, a window per frame."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    frames = np.stack([RAMP * 3000 * (k + 1) / 3 for k in range(3)])
    ds = grey16('enhanced_ct.dcm', frames, signed=True, sop='1.2.840.10008.5.1.4.1.1.2.1', NumberOfFrames=3)
    ds.Modality = 'CT'
    transform, measures = Dataset(), Dataset()
    transform.RescaleIntercept, transform.RescaleSlope, transform.RescaleType = -1024, 1, 'HU'
    measures.PixelSpacing, measures.SliceThickness = [0.5, 0.5], 1
    shared = Dataset()
    shared.PixelValueTransformationSequence = Sequence([transform])
    shared.PixelMeasuresSequence = Sequence([measures])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    for center, width in ((40, 400), (300, 1500), (-600, 1500)):
        voi, item = Dataset(), Dataset()
        voi.WindowCenter, voi.WindowWidth = center, width
        item.FrameVOILUTSequence = Sequence([voi])
        per_frame.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    return ds


def supplemental_palette():
    """Grey stored values below 1024, coloured ones from 1024 on: a Supplemental Palette Color LUT (C.8.16.2.1.1.1)."""
    values = RAMP * 1023
    values[40:60, 10:90] = 1024 + (np.arange(80)[np.newaxis, :] * 3).repeat(20, axis=0)
    ds = grey16('supplemental_palette.dcm', values, sop='1.2.840.10008.5.1.4.1.1.4.1', PixelPresentation='COLOR',
                WindowCenter=512, WindowWidth=1024)
    ramp = np.arange(256)
    for c, table in (('Red', ramp), ('Green', 255 - ramp), ('Blue', smooth(ramp, 255))):
        ds.add_new(getattr(pydicom.datadict, 'tag_for_keyword')(c + 'PaletteColorLookupTableDescriptor'), 'US', [256, 1024, 16])
        setattr(ds, c + 'PaletteColorLookupTableData', (table * 257).astype('<u2').tobytes())
    return ds


def palette(name, indices, bits, entries, first):
    ds = base(name, ROWS, COLS, BitsAllocated=bits, BitsStored=bits, HighBit=bits - 1, PixelRepresentation=0)
    ds.PhotometricInterpretation = 'PALETTE COLOR'
    ramp = np.arange(entries) * 255 // (entries - 1)
    for c, table in (('Red', ramp), ('Green', 255 - ramp), ('Blue', smooth(ramp, 255))):
        ds.add_new(pydicom.datadict.tag_for_keyword(c + 'PaletteColorLookupTableDescriptor'), 'US', [entries % 65536, first, 16])
        setattr(ds, c + 'PaletteColorLookupTableData', (table * 257).astype('<u2').tobytes())
    ds.PixelData = indices.astype('<u2' if bits == 16 else 'u1').tobytes()
    return ds


def palette8():
    """8-bit indices through 16-bit tables (C.7.6.3.1.5)."""
    return palette('palette8.dcm', np.round(RAMP * 255), 8, 256, 0)


def palette16():
    """16-bit indices through 4096-entry tables that start at index 100."""
    return palette('palette16.dcm', 100 + np.round(RAMP * 4095), 16, 4096, 100)


def float_map(name, keyword, bits, dtype):
    ds = base(name, ROWS, COLS, sop='1.2.840.10008.5.1.4.1.1.30', BitsAllocated=bits)
    values = np.sin(RAMP * 6) * 1.5 + 1.0
    setattr(ds, keyword, values.astype(dtype).tobytes())
    return ds


def float_pixels():
    """A parametric map with Float Pixel Data (7FE0,0008), values -0.5…2.5."""
    return float_map('float.dcm', 'FloatPixelData', 32, '<f4')


def double_pixels():
    """A parametric map with Double Float Pixel Data (7FE0,0009)."""
    return float_map('double.dcm', 'DoubleFloatPixelData', 64, '<f8')


def overlay():
    """An 8-bit image with a graphics overlay plane (group 6000, C.9.2) placed at row 9, column 17 (its strokes on
    a grid of 4 pixels, so the test's 4×4 blocks are all overlay or all image)."""
    ds = base('overlay.dcm', ROWS, COLS, BitsAllocated=8, BitsStored=8, HighBit=7, PixelRepresentation=0)
    ds.PixelData = np.round(RAMP * 200).astype('u1').tobytes()
    plane = np.zeros((32, 48), bool)
    plane[4:28, 4:8] = plane[4:28, 40:44] = plane[4:8, 4:44] = plane[24:28, 4:44] = True
    ds.add_new(0x60000010, 'US', 32)
    ds.add_new(0x60000011, 'US', 48)
    ds.add_new(0x60000040, 'CS', 'G')
    ds.add_new(0x60000050, 'SS', [9, 17])
    ds.add_new(0x60000100, 'US', 1)
    ds.add_new(0x60000102, 'US', 0)
    ds.add_new(0x60003000, 'OW', np.packbits(plane.ravel(), bitorder='little').tobytes())
    return ds


def no_meta():
    """CT_small written as a bare dataset: no preamble, no meta header (as some old writers do)."""
    ds = pydicom.dcmread(os.path.join(os.path.dirname(pydicom.__file__), 'data', 'test_files', 'CT_small.dcm'))
    ds.SeriesInstanceUID, ds.SOPInstanceUID = generate_uid(), generate_uid()
    ds.SeriesDescription = 'no_meta.dcm'
    del ds.file_meta
    ds.preamble = None
    return ds


def unfiled():
    """A file without Study and Series Instance UIDs (pydicom reads it; Courier files it as Unfiled)."""
    ds = base('unfiled.dcm', ROWS, COLS, BitsAllocated=8, BitsStored=8, HighBit=7, PixelRepresentation=0)
    ds.PixelData = np.round(RAMP * 255).astype('u1').tobytes()
    del ds.StudyInstanceUID, ds.SeriesInstanceUID
    return ds


def unfiled_series():
    """A file of the test study without a Series Instance UID."""
    ds = unfiled()
    ds.StudyInstanceUID, ds.SeriesDescription = STUDY_UID, 'unfiled_series.dcm'
    return ds


MAKERS = [modality_lut, voi_lut, sigmoid, enhanced_ct, supplemental_palette, palette8, palette16, float_pixels,
          double_pixels, overlay, no_meta, unfiled, unfiled_series]


def make(out_dir):
    files = []
    for maker in MAKERS:
        ds = maker()
        path = os.path.join(out_dir, str(ds.SeriesDescription))
        ds.save_as(path, write_like_original=maker is no_meta)
        files.append(path)
    return {'files': files}


def values(path, out):
    ds = read(path)
    arr = ds.pixel_array
    photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2'))
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    samples = int(ds.get('SamplesPerPixel', 1))
    if frames == 1:
        arr = arr[np.newaxis]
    bits = int(ds.get('BitsStored', ds.get('BitsAllocated', 32)))
    if photometric == 'PALETTE COLOR':
        from pydicom.pixel_data_handlers.util import apply_color_lut
        arr = apply_color_lut(arr, ds)
        samples = 3
        bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
    elif samples == 3 and photometric.startswith('YBR'):
        from pydicom.pixel_data_handlers.util import convert_color_space
        arr = np.stack([convert_color_space(f, 'YBR_FULL', 'RGB') for f in arr])
    arr.astype('<f8').tofile(out)
    return {'frames': frames, 'rows': int(ds.Rows), 'columns': int(ds.Columns), 'samples': samples,
            'bits': bits, 'photometric': photometric}


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
        with open(sys.argv[2]) as f:
            print(json.dumps(expected(json.load(f))))
    elif sys.argv[1] == 'make':
        print(json.dumps(make(sys.argv[2])))
    elif sys.argv[1] == 'values':
        with open(sys.argv[2]) as f:
            print(json.dumps([values(item['path'], item['out']) for item in json.load(f)]))
    elif sys.argv[1] == 'uniquify':
        print(json.dumps(uniquify(sys.argv[2], sys.argv[3:])))
