// sanitizer_options.cc: the fuzz targets' sanitizer settings, built in
// (the sanitizers read these functions at start), so that a target run by
// hand on one input behaves as it does under `make fuzz`.
//
// Allocations: DCMTK allocates an element's whole value as soon as it has
// read its header, up to 4 GiB as the peer declares it, with new(nothrow).
// Outside ASan that only reserves address space; under ASan each such
// block costs about a second to poison, and libFuzzer calls anything above
// its malloc limit a crash. The inputs are a few KiB, so here an
// allocation above 64 MiB fails, as it would on a host short of memory:
// new(nothrow) and malloc return NULL (DCMTK answers EC_MemoryExhausted),
// while a plain `new` of that size still aborts with a report, so code
// that sizes a buffer from what a peer declares, not from what it sent,
// shows up.
//
// Leaks: libFuzzer looks for them after each input that allocated more
// than it freed, with the stacks of the allocations. The check LeakSanitizer
// would add at exit is off: by then DCMTK's own leaks (below) have piled
// up, some with no stack to suppress them by (DCMTK has no frame pointers,
// so the fast unwinder often stops at once), and fail a clean run.
extern "C" const char *__asan_default_options()
{
    return "allocator_may_return_null=1:max_allocation_size_mb=64:leak_check_at_exit=0";
}

// Leaks inside Debian's DCMTK 3.6.7 that no caller can avoid, each matched
// by a function only DCMTK calls, so that a leak of lib/dicom's own (an
// association it forgot to destroy, a dataset it did not free) still
// shows, through its own allocations.
//
// LST_Create: dulparse.cc's parsePresentationContext creates a context's
// transfer syntax list, then returns on a malformed item without freeing
// it; parseAssociate does the same with its own lists. A malformed
// A-ASSOCIATE-RQ leaks 32 bytes or more (found by scp_fuzz).
extern "C" const char *__lsan_default_suppressions() { return "leak:LST_Create\n"; }
