// Package traj writes and reads the files a run produces: trajectories,
// features, labels and latents as NumPy .npy arrays, LJ7 frames as
// extended XYZ, and run metadata as JSON.
//
// # Files are complete or absent
//
// Every writer in this package goes through internal/atomicfile: the bytes are
// written to path + ".part" in the destination directory, fsynced, and
// renamed onto path only when the writer is closed successfully. A reader
// therefore never sees a half-written file under its final name; an
// interrupted run leaves only the .part file, which [OpenAppend] can resume
// and [NPYWriter.Abort] removes.
//
// # The .npy format
//
// Files follow the NumPy format specification (NEP 1,
// https://numpy.org/neps/nep-0001-npy-format.html): the 6-byte magic
// "\x93NUMPY", version 1.0, a little-endian uint16 header length, and an
// ASCII Python dict "{'descr': '<f8', 'fortran_order': False, 'shape': (R, C), }"
// padded with spaces and terminated by '\n' so that the data starts at a
// multiple of 64 bytes. The header is byte for byte what numpy.save
// (numpy/lib/format.py, _write_array_header) writes for the same array,
// including the GROWTH_AXIS_MAX_DIGITS = 21 spaces numpy reserves so the
// leading dimension can grow in place; that reservation is what lets
// [NPYWriter] stream rows and patch the row count on Close without moving
// the data. Reading uses codeberg.org/sbinet/npyio, behind a strict header
// and size check of this package so that truncated or corrupt files are
// reported rather than read as zeros.
//
// Units are those of the data written: this package stores numbers, it
// does not interpret them. Positions in reduced units σ, times in τ and
// energies in ε are the conventions of the md package that calls it.
package traj
