// receive.cc: a request's dataset, checked, then parsed (see receive.h).
// The receiving loop is DCMTK's DIMSE_receiveDataSetInMemory with the
// nesting check between the network and the parser.
#include "receive.h"

#include "nesting.h"

#include <memory>

namespace {

// The next PDV, reading a PDU when the last one is used up (what DCMTK's
// own DIMSE_readNextPDV does; it is not exported).
OFCondition next_pdv(T_ASC_Association *assoc, unsigned timeout, DUL_PDV *pdv)
{
    if (DUL_NextPDV(&assoc->DULassociation, pdv).good())
        return EC_Normal;
    if (timeout && !ASC_dataWaiting(assoc, (int)timeout))
        return DIMSE_NODATAAVAILABLE;
    OFCondition cond = DUL_ReadPDVs(&assoc->DULassociation, nullptr, timeout ? DUL_NOBLOCK : DUL_BLOCK,
                                    (int)timeout);
    if (cond != DUL_PDATAPDUARRIVED)
        return cond.bad() ? cond : DIMSE_READPDVFAILED;
    return DUL_NextPDV(&assoc->DULassociation, pdv);
}

OFCondition transfer_syntax(T_ASC_Association *assoc, T_ASC_PresentationContextID pres, E_TransferSyntax *ts)
{
    T_ASC_PresentationContext pc;
    OFCondition cond = ASC_findAcceptedPresentationContext(assoc->params, pres, &pc);
    if (cond.bad())
        return cond;
    *ts = DcmXfer(pc.acceptedTransferSyntax).getXfer();
    return *ts == EXS_Unknown ? DIMSE_NOVALIDPRESENTATIONCONTEXTID : EC_Normal;
}

const char *refusal(Nesting verdict)
{
    switch (verdict) {
    case Nesting::too_deep: return "sequences nested too deeply";
    case Nesting::malformed: return "an encoding the nesting check cannot follow";
    default: return nullptr;
    }
}

// Check one PDV of the dataset, then (unless refused) parse it.
OFCondition take(const DUL_PDV &pdv, T_ASC_PresentationContextID pres, DatasetScan &scan,
                 DcmInputBufferStream &stream, DcmDataset &ds, E_TransferSyntax ts, const char **refused)
{
    if (pdv.pdvType != DUL_DATASETPDV)
        return DIMSE_UNEXPECTEDPDVTYPE;
    if (pdv.presentationContextID != pres)
        return DIMSE_NOVALIDPRESENTATIONCONTEXTID;
    if (pdv.fragmentLength % 2)
        return DIMSE_RECEIVEFAILED; // never legal (PS3.7 annex F)
    if (!*refused)
        *refused = refusal(scan.feed(pdv.data, pdv.fragmentLength, pdv.lastPDV));
    if (*refused)
        return EC_Normal; // read on to its end, unparsed
    if (pdv.fragmentLength)
        stream.setBuffer(pdv.data, (offile_off_t)pdv.fragmentLength);
    if (pdv.lastPDV)
        stream.setEos();
    OFCondition cond = ds.read(stream, ts);
    if (cond != EC_Normal && cond != EC_StreamNotifyClient)
        return DIMSE_RECEIVEFAILED;
    // After the last PDV the dataset must be whole. DCMTK (and its own
    // loop) takes one that ends inside an element as complete, the value
    // declared but never sent: uninitialised heap bytes (a value cut short,
    // then an empty last PDV), or a length of up to 4 GiB with no value.
    if (pdv.lastPDV && (cond != EC_Normal || !scan.between_elements()))
        return DIMSE_RECEIVEFAILED;
    return EC_Normal;
}

} // namespace

OFCondition cirr_dicom_receive_dataset(T_ASC_Association *assoc, unsigned timeout, unsigned max_depth,
                                       T_ASC_PresentationContextID pres, DcmDataset **out,
                                       const char **refused)
{
    *out = nullptr;
    *refused = nullptr;
    E_TransferSyntax ts = EXS_Unknown;
    OFCondition cond = transfer_syntax(assoc, pres, &ts);
    if (cond.bad())
        return cond;
    DatasetScan scan(ts, max_depth);
    std::unique_ptr<DcmDataset> ds(new DcmDataset);
    DcmInputBufferStream stream;
    ds->transferInit();
    for (bool last = false; !last && cond.good();) {
        stream.releaseBuffer(); // keeps unread bytes: the next PDU overwrites the last
        DUL_PDV pdv;
        cond = next_pdv(assoc, timeout, &pdv);
        if (cond.good())
            cond = take(pdv, pres, scan, stream, *ds, ts, refused);
        last = cond.good() && pdv.lastPDV;
    }
    ds->transferEnd();
    if (cond.good() && !*refused)
        *out = ds.release();
    return cond;
}
