package traj

import "github.com/dspib/dspib/internal/atomicfile"

// PartSuffix is appended to a destination path to name the file while it is
// being written (internal/atomicfile). Only a successful Close (or Commit)
// of a writer renames path+PartSuffix to path; an interrupted streamed run
// leaves path+PartSuffix, which OpenAppend resumes.
const PartSuffix = atomicfile.PartSuffix
