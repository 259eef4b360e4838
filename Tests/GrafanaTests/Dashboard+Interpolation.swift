extension Dashboard {
    /// Grafana's own interval variables, valued as Grafana would for a Prometheus scraping every second.
    static let builtinVariables = ["__rate_interval": "20s", "__interval": "2s", "__range": "10m"]

    /// The `$name` and `${name}` references in an expression.
    static func variableReferences(in expr: String) -> Set<String> {
        Set(expr.matches(of: #/\$\{(\w+)\}|\$(\w+)/#).compactMap { match in (match.1 ?? match.2).map(String.init) })
    }

    /// Replaces variables the way Grafana does for a Prometheus datasource: several values become `(a|b)`, each
    /// regex-escaped (with a doubled backslash, as it sits inside a PromQL string). Unknown names are left alone.
    static func interpolate(_ expr: String, values: [String: [String]]) -> String {
        expr.replacing(#/\$\{(\w+)\}|\$(\w+)/#) { match in
            let name = String(match.1 ?? match.2 ?? "")
            if let builtin = builtinVariables[name] { return builtin }
            guard let chosen = values[name] else { return String(match.0) }
            let escaped = chosen.map(regexEscaped)
            return escaped.count == 1 ? escaped[0] : "(" + escaped.joined(separator: "|") + ")"
        }
    }

    static func regexEscaped(_ value: String) -> String {
        var out = ""
        for character in value {
            if #"\^$*+?.()|[]{}"#.contains(character) { out += #"\\"# }
            out.append(character)
        }
        return out
    }
}
