// Logging for the controller and broker processes: spdlog (Debian's libspdlog-dev), one line
// per event. The process sets the pattern (with its node id) once at start-up.
//
// Not to be confused with storage/log.h, the segmented log.
#ifndef KEEL_COMMON_LOGGING_H_
#define KEEL_COMMON_LOGGING_H_

#include <spdlog/spdlog.h>

#define KEEL_LOG_DEBUG(...) spdlog::debug(__VA_ARGS__)
#define KEEL_LOG_INFO(...) spdlog::info(__VA_ARGS__)
#define KEEL_LOG_WARN(...) spdlog::warn(__VA_ARGS__)
#define KEEL_LOG_ERROR(...) spdlog::error(__VA_ARGS__)
#define KEEL_LOG_CRITICAL(...) spdlog::critical(__VA_ARGS__)

#endif  // KEEL_COMMON_LOGGING_H_
