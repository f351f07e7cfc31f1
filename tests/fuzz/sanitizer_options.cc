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
// than it freed, with the stacks of the allocations. Those stacks are
// unwound in full (fast_unwind_on_malloc=0, about 20% slower): Debian's
// DCMTK has no frame pointers, so the fast unwinder stops one frame inside
// it, and a leak of DCMTK's own then has no caller to suppress it by. The
// check LeakSanitizer would add at exit is off: by then DCMTK's own leaks
// (below) have piled up and fail a clean run.
extern "C" const char *__asan_default_options()
{
    return "allocator_may_return_null=1:max_allocation_size_mb=64:leak_check_at_exit=0:fast_unwind_on_malloc=0";
}

// Leaks inside Debian's DCMTK 3.6.7 that no caller can avoid, matched by
// the exported DCMTK function they happen under, so that a leak of
// lib/dicom's own (an association it forgot to destroy, a dataset it did
// not free) still shows, through its own allocations.
//
// LST_Create: DCMTK's own lists (lib/dicom never makes one). dulparse.cc's
// parsePresentationContext creates a context's transfer syntax list, then
// returns on a malformed item without freeing it; the A-ASSOCIATE-AC that
// DUL_AcknowledgeAssociationRQ builds leaks its lists when sending it
// fails. 32 bytes or more (found by scp_fuzz). parseAssociate reads an
// A-ASSOCIATE-AC with the same code, so a requestor meets the same leaks
// on a malformed answer (scu_fuzz: 8 of them in its first 2,000 inputs).
//
// DUL_ReceiveAssociationRQ: the rest of what dulparse.cc makes for a
// malformed A-ASSOCIATE-RQ and returns without freeing: an SCP/SCU role
// item, or an SOP Class Extended Negotiation item (56 bytes; found by CI's
// scp_fuzz, regressions/scp_fuzz/extended-negotiation-uid-past-its-item).
extern "C" const char *__lsan_default_suppressions()
{
    return "leak:LST_Create\n"
           "leak:DUL_ReceiveAssociationRQ\n";
}
