#include "kafka/sasl.h"

namespace keel::kafka {

void SaslHandshakeRequest::Io(FieldIo& io) {
  io.String(mechanism);
  io.TaggedFields();
}

void SaslHandshakeResponse::Io(FieldIo& io) {
  io.Int16(error_code);
  io.Array(mechanisms);
  io.TaggedFields();
}

void SaslAuthenticateRequest::Io(FieldIo& io) {
  io.Bytes(auth_bytes);
  io.TaggedFields();
}

void SaslAuthenticateResponse::Io(FieldIo& io) {
  io.Int16(error_code);
  io.String(error_message);
  io.Bytes(auth_bytes);
  if (io.version() >= 1) io.Int64(session_lifetime_ms);
  io.TaggedFields();
}

}  // namespace keel::kafka
