#include "devicemap/yaml_document.h"

#include <sstream>
#include <vector>

#include <yaml-cpp/eventhandler.h>

namespace hwb::devicemap {

namespace {

// yaml-cpp's message for a tab in the indentation ("illegal block entry", "illegal map value"...)
// often does not mention tabs, the usual cause when a map was edited in a text editor.
std::string tab_hint(const std::string& yaml, const YAML::Mark& mark, const std::string& message) {
    if (mark.line < 0 || message.find("tab") != std::string::npos) return {};
    std::size_t start = 0;
    for (int line = 0; line < mark.line && start != std::string::npos; ++line) {
        start = yaml.find('\n', start);
        if (start != std::string::npos) ++start;
    }
    if (start == std::string::npos) return {};
    const std::size_t end = yaml.find_first_not_of(" \t", start);
    const std::string indent = yaml.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (indent.find('\t') == std::string::npos) return {};
    return " (YAML is indented with spaces, and this line has a tab)";
}

// Records where documents start; the content is built by YAML::Load afterwards.
class DocumentStarts : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// Checks the document structure of the whole stream without building nodes. We do not use
// YAML::LoadAll: in yaml-cpp 0.7 a stray token that cannot start a document (e.g. a ',' at the
// top level) makes it produce empty documents forever until memory runs out. Here a document
// that starts where the previous one did means no progress, and we stop after three documents.
bool check_documents(const std::string& yaml, Diagnostics& diagnostics) {
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    DocumentStarts documents;
    while (documents.starts.size() < 3 && parser.HandleNextDocument(documents)) {
        const auto& starts = documents.starts;
        if (starts.size() >= 2 && starts[starts.size() - 1].pos == starts[starts.size() - 2].pos) {
            const YAML::Mark& at = starts.back();
            const char c = at.pos >= 0 && static_cast<std::size_t>(at.pos) < yaml.size() ? yaml[at.pos] : '?';
            diagnostics.error(at, std::string("invalid YAML: unexpected '") + c + "'");
            return false;
        }
    }
    if (documents.starts.size() > 1)
        diagnostics.error(documents.starts[1], "a device map is a single YAML document; remove the second '---'");
    return !documents.starts.empty();
}

}  // namespace

std::optional<YAML::Node> parse_single_document(const std::string& yaml, Diagnostics& diagnostics) {
    YAML::Node root;
    try {
        if (!check_documents(yaml, diagnostics)) {
            if (diagnostics.empty())
                diagnostics.error(SourceLocation{diagnostics.file(), 0, 0},
                                  "the device map is empty; it needs at least a 'devices' list");
            return std::nullopt;
        }
        root = YAML::Load(yaml);  // the first document only
    } catch (const YAML::Exception& e) {
        // e.msg is yaml-cpp's message without its "line X, column Y" prefix; we print the position.
        diagnostics.error(e.mark, "invalid YAML: " + e.msg + tab_hint(yaml, e.mark, e.msg));
        return std::nullopt;
    }
    if (root.IsNull()) {
        diagnostics.error(SourceLocation{diagnostics.file(), 0, 0},
                          "the device map is empty; it needs at least a 'devices' list");
        return std::nullopt;
    }
    return root;
}

}  // namespace hwb::devicemap
