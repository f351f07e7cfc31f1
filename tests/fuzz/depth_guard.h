// depth_guard.h: the fuzz targets' oracle for issue 11's finding 1. DCMTK
// parses a sequence by recursing (DcmSequenceOfItems::read, once per
// level); lib/dicom's nesting check (nesting.h, pdu_watch.h) must refuse
// anything that would make it recurse deeper than the limit it is given.
// depth_guard.cc interposes that DCMTK function, counts how many of its
// calls are on this thread's stack, and aborts (a crash to libFuzzer) the
// moment they exceed depth_guard_limit: a nesting the check let through.
#ifndef CIRR_FUZZ_DEPTH_GUARD_H
#define CIRR_FUZZ_DEPTH_GUARD_H

// Sequences DCMTK may have open at once while parsing on this thread;
// 0: no limit (the guard only counts).
void depth_guard_limit(unsigned max_depth);

// The deepest nesting DCMTK reached on this thread since the last call
// (which resets it).
unsigned depth_guard_deepest();

// Whether the interposition took: DCMTK's own parser calls through it
// (checked once at start, so a build that bypasses it does not fuzz blind).
bool depth_guard_works();

#endif
