// target_init.h: what every fuzz target does once before its first input.
#ifndef CIRR_FUZZ_TARGET_INIT_H
#define CIRR_FUZZ_TARGET_INIT_H

// cirr_dicom_init, DCMTK's logging off (it would complain about each bad
// input), and the depth guard seen to work; aborts, naming the target,
// when any of it fails: a target that cannot see what it checks must not
// pass.
void target_init(const char *name);

// libFuzzer's start hook for a target that needs nothing more at start.
#define FUZZ_TARGET_INIT(name) \
    extern "C" int LLVMFuzzerInitialize(int *, char ***) \
    { \
        target_init(name); \
        return 0; \
    }

#endif
