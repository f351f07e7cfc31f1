// depth_guard.cc: DCMTK's sequence parser, interposed (see depth_guard.h).
// This definition of DcmSequenceOfItems::read in the executable takes the
// place of libdcmdata's for every caller, the library's own included (its
// virtual and PLT calls bind to the first definition the dynamic linker
// finds); it counts, then calls the library's through dlsym(RTLD_NEXT).
#include "depth_guard.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dctk.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace {

thread_local unsigned depth, deepest, limit;

using ReadFn = OFCondition (DcmSequenceOfItems::*)(DcmInputStream &, E_TransferSyntax, E_GrpLenEncoding, Uint32);

// The library's definition, as a member function pointer (Itanium ABI:
// the address, then a this-adjustment of 0).
ReadFn library_read()
{
    static ReadFn fn = [] {
        void *sym = dlsym(RTLD_NEXT, "_ZN18DcmSequenceOfItems4readER14DcmInputStream16E_TransferSyntax16E_GrpLenEncodingj");
        if (!sym) {
            fprintf(stderr, "depth_guard: DcmSequenceOfItems::read not found in DCMTK: %s\n", dlerror());
            abort();
        }
        struct {
            void *address;
            ptrdiff_t adjust;
        } raw = {sym, 0};
        ReadFn f;
        static_assert(sizeof raw == sizeof f, "an Itanium ABI member function pointer");
        memcpy(&f, &raw, sizeof f);
        return f;
    }();
    return fn;
}

} // namespace

OFCondition DcmSequenceOfItems::read(DcmInputStream &in, const E_TransferSyntax xfer, const E_GrpLenEncoding glenc,
                                     const Uint32 max_read_length)
{
    if (++depth > deepest)
        deepest = depth;
    if (limit && depth > limit) {
        fprintf(stderr, "depth_guard: DCMTK is parsing a sequence %u deep, past the nesting limit %u: "
                        "the nesting check let it through\n", depth, limit);
        abort();
    }
    OFCondition cond = (this->*library_read())(in, xfer, glenc, max_read_length);
    depth--;
    return cond;
}

void depth_guard_limit(unsigned max_depth) { limit = max_depth; }

unsigned depth_guard_deepest()
{
    unsigned d = deepest;
    deepest = 0;
    return d;
}

// A dataset of one sequence holding one empty item, in Implicit VR Little
// Endian: (0008,1115) SQ undefined length, item, item end, sequence end.
bool depth_guard_works()
{
    static const uint8_t bytes[] = {0x08, 0x00, 0x15, 0x11, 0xff, 0xff, 0xff, 0xff,  // sequence
                                    0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff,  // item
                                    0xfe, 0xff, 0x0d, 0xe0, 0x00, 0x00, 0x00, 0x00,  // item end
                                    0xfe, 0xff, 0xdd, 0xe0, 0x00, 0x00, 0x00, 0x00}; // sequence end
    DcmDataset ds;
    DcmInputBufferStream stream;
    stream.setBuffer(bytes, sizeof bytes);
    stream.setEos();
    depth_guard_deepest();
    ds.transferInit();
    OFCondition cond = ds.read(stream, EXS_LittleEndianImplicit);
    ds.transferEnd();
    return cond.good() && depth_guard_deepest() == 1;
}
