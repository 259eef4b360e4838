// Two independent readers of an exposition: a naive one (series → value) and a strict one of both formats.

/// Parses the text format into `series → value`, where series is `name{labels as written}`.
/// Deliberately naive (split at the last space): an independent reading of what the renderer wrote.
public func parseExposition(_ text: String) -> [String: Double] {
    var out: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " ") else { continue }
        let value = line[line.index(after: space)...]
        out[String(line[..<space])] = value == "+Inf" ? .infinity : value == "NaN" ? .nan : Double(value)
    }
    return out
}

/// Our own strict reader of both formats: comments, label escapes, values. Throws at the first line it cannot
/// read, naming it.
public func parseExpositionStrictly(_ text: String, openMetrics: Bool) throws -> (families: [ParsedFamily], samples: [ParsedSample]) {
    var families: [ParsedFamily] = []
    var samples: [ParsedSample] = []
    var helps: [String: String] = [:]
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard lines.last == "" else { throw TestFailure("the exposition does not end with a line feed") }
    lines.removeLast()
    if openMetrics {
        guard lines.last == "# EOF" else { throw TestFailure("OpenMetrics without # EOF at the end") }
        lines.removeLast()
    }
    for line in lines {
        if line.hasPrefix("# HELP ") {
            let rest = line.dropFirst(7)
            guard let space = rest.firstIndex(of: " ") else { throw TestFailure("HELP without text: \(line)") }
            helps[String(rest[..<space])] = try unescape(rest[rest.index(after: space)...], quotes: openMetrics, line: line)
        } else if line.hasPrefix("# TYPE ") {
            let parts = line.dropFirst(7).split(separator: " ")
            guard parts.count == 2 else { throw TestFailure("bad TYPE line: \(line)") }
            families.append(ParsedFamily(name: String(parts[0]), type: String(parts[1]), help: helps[String(parts[0])] ?? ""))
        } else if line.hasPrefix("#") || line.isEmpty {
            throw TestFailure("unexpected line: \(line)")
        } else {
            samples.append(try parseSample(line))
        }
    }
    return (families, samples)
}

private func parseSample(_ line: String) throws -> ParsedSample {
    let bytes = Array(line.utf8)
    var index = 0
    while index < bytes.count, bytes[index] != UInt8(ascii: "{"), bytes[index] != UInt8(ascii: " ") { index += 1 }
    let name = String(decoding: bytes[0..<index], as: UTF8.self)
    var labels: [String: String] = [:]
    if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
        index += 1
        while bytes[index] != UInt8(ascii: "}") {
            let nameStart = index
            while bytes[index] != UInt8(ascii: "=") { index += 1 }
            let labelName = String(decoding: bytes[nameStart..<index], as: UTF8.self)
            guard bytes[index + 1] == UInt8(ascii: "\"") else { throw TestFailure("unquoted label value: \(line)") }
            index += 2
            var value: [UInt8] = []
            while bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") {
                    index += 1
                    switch bytes[index] {
                    case UInt8(ascii: "n"): value.append(10)
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(bytes[index])
                    default: throw TestFailure("bad escape in a label value: \(line)")
                    }
                } else {
                    value.append(bytes[index])
                }
                index += 1
            }
            index += 1
            guard labels.updateValue(String(decoding: value, as: UTF8.self), forKey: labelName) == nil else {
                throw TestFailure("label \(labelName) twice: \(line)")
            }
            if bytes[index] == UInt8(ascii: ",") { index += 1 }
        }
        index += 1
    }
    guard index < bytes.count, bytes[index] == UInt8(ascii: " ") else { throw TestFailure("no value: \(line)") }
    let valueText = String(decoding: bytes[(index + 1)...], as: UTF8.self)
    guard let value = parseValue(valueText) else { throw TestFailure("bad value \(valueText): \(line)") }
    return ParsedSample(name: name, labels: labels, value: value)
}

public func parseValue(_ text: String) -> Double? {
    switch text.lowercased() {
    case "+inf", "inf": .infinity
    case "-inf": -.infinity
    case "nan": .nan
    default: Double(text)
    }
}

private func unescape(_ text: Substring, quotes: Bool, line: String) throws -> String {
    var out = ""
    var escaping = false
    for character in text {
        if escaping {
            switch character {
            case "n": out.append("\n")
            case "\\": out.append("\\")
            case "\"" where quotes: out.append("\"")
            default: throw TestFailure("bad escape in HELP: \(line)")
            }
            escaping = false
        } else if character == "\\" {
            escaping = true
        } else {
            out.append(character)
        }
    }
    return out
}
