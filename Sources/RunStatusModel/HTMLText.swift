/// The readable text of an HTML page (RSA's error pages, a proxy's 502 page): the part inside
/// `<body>` when there is one, tags, comments, scripts and styles dropped, common entities decoded.
/// Only the head of a page is read, and the text is bounded as messages bound vendor text.
enum HTMLText {
    static let readLimit = 64 * 1024
    /// Bytes of text gathered: enough for the ~200 characters a message keeps.
    static let outputLimit = 4 * PollError.vendorTextLimit

    static func extract(_ page: [UInt8]) -> String {
        let bytes = page.prefix(readLimit)
        var start = bytes.startIndex
        var end = bytes.endIndex
        if let open = find("<body", in: bytes, from: start), let close = firstIndex(of: UInt8(ascii: ">"), in: bytes, from: open) {
            start = close + 1
            end = find("</body", in: bytes, from: start) ?? end
        }
        var out: [UInt8] = []
        var i = start
        while i < end, out.count < outputLimit {
            let b = bytes[i]
            if b == UInt8(ascii: "<") {
                if hasPrefix("<!--", bytes, at: i) {
                    i = (find("-->", in: bytes, from: i + 4).map { $0 + 3 }) ?? end
                } else if hasPrefix("<script", bytes, at: i) || hasPrefix("<style", bytes, at: i) {
                    let closing = hasPrefix("<script", bytes, at: i) ? "</script" : "</style"
                    let after = find(closing, in: bytes, from: i + 1) ?? end
                    i = (firstIndex(of: UInt8(ascii: ">"), in: bytes, from: after).map { $0 + 1 }) ?? end
                } else {
                    i = (firstIndex(of: UInt8(ascii: ">"), in: bytes, from: i).map { $0 + 1 }) ?? end
                }
                out.append(0x20)  // tags separate words: `<h1>502</h1>nginx`
            } else if b == UInt8(ascii: "&"), let (decoded, next) = entity(bytes, at: i, end: end) {
                out.append(contentsOf: decoded)
                i = next
            } else {
                out.append(b)
                i += 1
            }
        }
        return PollError.cleaned(String(decoding: out, as: UTF8.self), limit: PollError.vendorTextLimit)
    }

    /// An entity at `i` (`&amp;`, `&#39;`, `&#x27;`...) as UTF-8 and the index after it.
    static func entity(_ bytes: ArraySlice<UInt8>, at i: Int, end: Int) -> ([UInt8], Int)? {
        guard let semi = firstIndex(of: UInt8(ascii: ";"), in: bytes, from: i + 1, within: 12), semi < end else { return nil }
        let name = String(decoding: bytes[(i + 1)..<semi], as: UTF8.self)
        var scalar: Unicode.Scalar?
        switch name {
        case "amp": scalar = "&"
        case "lt": scalar = "<"
        case "gt": scalar = ">"
        case "quot": scalar = "\""
        case "apos": scalar = "'"
        case "nbsp": scalar = " "
        default:
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
            } else if name.hasPrefix("#") {
                scalar = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init)
            }
        }
        guard let scalar else { return nil }
        return (Array(String(Character(scalar)).utf8), semi + 1)
    }

    static func hasPrefix(_ lowercased: String, _ bytes: ArraySlice<UInt8>, at i: Int) -> Bool {
        var k = i
        for c in lowercased.utf8 {
            guard k < bytes.endIndex, lower(bytes[k]) == c else { return false }
            k += 1
        }
        return true
    }

    static func find(_ lowercased: String, in bytes: ArraySlice<UInt8>, from: Int) -> Int? {
        guard let first = lowercased.utf8.first else { return nil }
        var i = from
        while i < bytes.endIndex {
            if lower(bytes[i]) == first, hasPrefix(lowercased, bytes, at: i) { return i }
            i += 1
        }
        return nil
    }

    static func firstIndex(of b: UInt8, in bytes: ArraySlice<UInt8>, from: Int, within: Int = .max) -> Int? {
        var i = from
        let limit = from > bytes.endIndex - within ? bytes.endIndex : from + within
        while i < limit {
            if bytes[i] == b { return i }
            i += 1
        }
        return nil
    }

    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
}
