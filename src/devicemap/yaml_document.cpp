#include "devicemap/yaml_document.h"

#include <cstdint>
#include <limits>
#include <sstream>
#include <unordered_map>
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

// Records where documents start, and what each document weighs with its aliases expanded; the
// content is built by YAML::Load afterwards.
//
// yaml-cpp's nodes share an aliased node instead of copying it (loading a 100 KB scalar aliased
// 20,000 times costs about 1 MB), but everything that reads the tree sees every alias in full:
// each copy of the scalar into a message, a label, a device option. The weight counts what a
// reader could copy out: every scalar's bytes plus node_weight per node, an alias counting as
// its anchor's whole weight; it saturates instead of overflowing (nested aliases, "billion laughs").
class DocumentScan : public YAML::EventHandler {
public:
    static constexpr std::uint64_t node_weight = 16;

    // Thrown out of the parser when a document is over a limit: reading it further is the harm.
    struct Stop {};

    std::vector<YAML::Mark> starts;
    std::uint64_t aliases = 0;
    std::uint64_t nodes = 0;
    std::optional<YAML::Mark> too_large_at;  // the alias that took the document over max_expanded_bytes
    std::optional<YAML::Mark> too_many_at;   // the node that took it over max_nodes

    void OnDocumentStart(const YAML::Mark& mark) override {
        starts.push_back(mark);
        anchors_.clear();
        open_.clear();
        document_ = 0;
        nodes = 0;
    }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        count(mark);
        node(mark, anchor, node_weight, false);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        ++aliases;
        auto it = anchors_.find(anchor);
        node(mark, YAML::NullAnchor, it == anchors_.end() ? node_weight : it->second, true);
    }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
        count(mark);
        node(mark, anchor, add(node_weight, value.size()), false);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
        count(mark);
        open_.push_back({anchor, node_weight});
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
        count(mark);
        open_.push_back({anchor, node_weight});
    }
    void OnMapEnd() override { close(); }

private:
    struct Open {
        YAML::anchor_t anchor;
        std::uint64_t weight;
    };
    static std::uint64_t add(std::uint64_t a, std::uint64_t b) {
        return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
    }
    void count(const YAML::Mark& mark) {
        if (++nodes <= max_nodes) return;
        too_many_at = mark;
        throw Stop{};
    }
    void node(const YAML::Mark& mark, YAML::anchor_t anchor, std::uint64_t weight, bool alias) {
        if (anchor != YAML::NullAnchor) anchors_[anchor] = weight;
        std::uint64_t& into = open_.empty() ? document_ : open_.back().weight;
        into = add(into, weight);
        if (alias && expanded() > max_expanded_bytes) {
            too_large_at = mark;
            throw Stop{};
        }
    }
    void close() {
        if (open_.empty()) return;
        Open done = open_.back();
        open_.pop_back();
        node(YAML::Mark::null_mark(), done.anchor, done.weight, false);
    }
    // The document so far, the nodes still open included.
    std::uint64_t expanded() const {
        std::uint64_t total = document_;
        for (const auto& o : open_) total = add(total, o.weight);
        return total;
    }

    std::unordered_map<YAML::anchor_t, std::uint64_t> anchors_;
    std::vector<Open> open_;
    std::uint64_t document_ = 0;
};

// Checks the document structure of the whole stream without building nodes. We do not use
// YAML::LoadAll: in yaml-cpp 0.7 a stray token that cannot start a document (e.g. a ',' at the
// top level) makes it produce empty documents forever until memory runs out. Here a document
// that starts where the previous one did means no progress, and we stop after three documents.
bool check_documents(const std::string& yaml, Diagnostics& diagnostics) {
    std::istringstream in(yaml);
    YAML::Parser parser(in);
    DocumentScan documents;
    for (;;) {
        try {
            if (documents.starts.size() >= 3 || !parser.HandleNextDocument(documents)) break;
        } catch (const DocumentScan::Stop&) {
            if (documents.too_large_at) {
                diagnostics.error(*documents.too_large_at,
                                  "this alias takes the map over " + std::to_string(max_expanded_bytes / (1024 * 1024)) +
                                      " MiB with its aliases expanded (each '*' stands for a whole copy of what its anchor "
                                      "names); the map was not read further");
            } else {
                diagnostics.error(*documents.too_many_at, "the map has more than " + std::to_string(max_nodes) +
                                                              " values, lists and mappings; the map was not read further");
            }
            return false;
        }
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
