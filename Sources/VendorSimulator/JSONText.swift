import Logging

/// Builds one JSON object as text, keys in the order written (the vendors' documented order), no Foundation.
struct JSONText {
    private(set) var text = "{"
    private var empty = true

    /// A JSON string literal, escaped as log lines are (ids echoed from request paths can hold anything).
    static func quoted(_ s: String) -> String {
        "\"" + Logger.jsonEscape(s) + "\""
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
