#include "client/repl_stream.h"

#include "common/coding.h"
#include "common/commands.h"
#include "common/hex.h"

namespace tt {

namespace {

bool StartsItem(uint8_t magic, bool extended) {
  if (magic == kMagicNop || magic == kMagicRecord) return true;
  return extended && (magic == kMagicSnapshotBegin || magic == kMagicSnapshotRecord ||
                      magic == kMagicSnapshotEnd || magic == kMagicLogGap);
}

}  // namespace

Status BufferSource::Peek(size_t n, std::string_view* bytes) {
  if (remaining() < n) return Status::Network("end of the stream");
  *bytes = bytes_.substr(read_);
  return Status::Ok();
}

Status BufferSource::Read(size_t n, std::string* out) {
  if (remaining() < n) return Status::Network("end of the stream");
  out->assign(bytes_.substr(read_, n));
  read_ += n;
  return Status::Ok();
}

Status ReadReplItem(ReplByteSource& source, bool extended, std::string_view peer, ReplItem* item,
                    UlogRecord* record, bool* replace) {
  std::string_view buffered;
  Status s = source.Peek(1, &buffered);
  if (!s.ok()) return s;
  const auto magic = static_cast<uint8_t>(buffered[0]);
  if (!StartsItem(magic, extended)) {
    return Status::Protocol("unexpected byte 0x" + HexSpaced(buffered.substr(0, 1)) +
                            " in the replication stream");
  }
  std::string bytes;
  if (magic == kMagicNop || magic == kMagicSnapshotEnd) {
    if (!(s = source.Read(1, &bytes)).ok()) return s;
    *item = magic == kMagicNop ? ReplItem::kNop : ReplItem::kSnapshotEnd;
    return Status::Ok();
  }
  if (magic == kMagicSnapshotBegin || magic == kMagicLogGap) {
    // The byte and a ts u64; a snapshot's beginning adds its replace flag.
    const bool begin = magic == kMagicSnapshotBegin;
    if (!(s = source.Read(begin ? 10 : 9, &bytes)).ok()) return s;
    record->ts = DecodeU64(bytes.data() + 1);
    record->sid = 0;
    record->mid = 0;
    record->body.clear();
    if (!begin) {
      return Status::NotFound("the update log of " + std::string(peer) +
                              " no longer reaches the timestamp asked for: its oldest record is "
                              "at " +
                              std::to_string(record->ts));
    }
    *item = ReplItem::kSnapshotBegin;
    *replace = bytes[9] != 0;
    return Status::Ok();
  }
  *item = magic == kMagicRecord ? ReplItem::kRecord : ReplItem::kSnapshotRecord;
  // The body size is checked before anything is allocated for the body.
  if (!(s = source.Peek(kRecordHeaderSize, &buffered)).ok()) return s;
  uint64_t ts;
  uint32_t size;
  PeekRecordHeader(buffered, &ts, &size);
  if (size > kMaxReplBody) {
    return Status::Protocol("replication record body of " + std::to_string(size) +
                            " bytes exceeds the limit of " + std::to_string(kMaxReplBody));
  }
  // Decoding copies the body out of `bytes`: a record is held twice, briefly.
  if (!(s = source.Read(kRecordHeaderSize + size, &bytes)).ok()) return s;
  bytes[0] = static_cast<char>(kMagicRecord);  // a snapshot record is framed the same way
  size_t consumed;
  if (DecodeWireRecord(bytes, record, &consumed) != DecodeResult::kOk) {
    return Status::Corruption("undecodable replication record");
  }
  return Status::Ok();
}

}  // namespace tt
