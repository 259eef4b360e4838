extension HTTPRequest {
    /// Whether the client lets the connection stay open after the response: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`. All `Connection` fields count, each a comma-separated list.
    public var keepAlive: Bool {
        var close = false, keepAlive = false
        for field in headers where field.name.caseInsensitiveEquals("Connection") {
            for option in field.value.split(separator: ",") {
                let token = String(option.trimmingASCIIWhitespace)
                if token.caseInsensitiveEquals("close") { close = true }
                if token.caseInsensitiveEquals("keep-alive") { keepAlive = true }
            }
        }
        if close { return false }
        return version == "HTTP/1.1" || keepAlive
    }
}

extension Substring {
    var trimmingASCIIWhitespace: Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
