/// Builds one JSON object as text, keys in the order written (the vendors' documented order), no Foundation.
struct JSONText {
    private(set) var text = "{"
    private var empty = true

    /// A JSON string literal, escaped (ids echoed from request paths can hold anything).
    static func quoted(_ s: String) -> String {
        // Nearly every value needs no escaping: skip the per-scalar rebuild (it dominated 10,000-run benchmarks).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + s + "\""
        }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    /// A JSON array of already rendered values.
    static func array(_ elements: [String]) -> String {
        "[" + elements.joined(separator: ",") + "]"
    }

    /// Appends `"key":` followed by already rendered JSON.
    mutating func raw(_ key: String, _ json: String) {
        if !empty { text += "," }
        empty = false
        text += JSONText.quoted(key)
        text += ":"
        text += json
    }

    /// A string, or `null` when nil.
    mutating func string(_ key: String, _ value: String?) {
        raw(key, value.map(JSONText.quoted) ?? "null")
    }

    /// An integer, or `null` when nil.
    mutating func int(_ key: String, _ value: Int64?) {
        raw(key, value.map { String($0) } ?? "null")
    }

    mutating func int(_ key: String, _ value: Int?) {
        int(key, value.map(Int64.init))
    }

    /// The finished object.
    var closed: String { text + "}" }
}
