// keelctl output: aligned text tables or one JSON document, chosen by --output.
#ifndef KEEL_TOOLS_CTL_OUTPUT_H_
#define KEEL_TOOLS_CTL_OUTPUT_H_

#include <string>
#include <vector>

namespace keel::keelctl {

// Columns padded to their widest cell, two spaces apart.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// "[1,2,3]" — Kafka's way of printing replica lists.
std::string FormatIdList(const std::vector<int>& ids);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_OUTPUT_H_
