import Logging
import RunStatusModel

/// Prometheus-style durations: `500ms`, `30s`, `10m`, `1h`, `1d`, `1w`, and combinations such as `1h30m`.
package enum DurationText {
    /// Seconds, or nil when the text is not a duration.
    static func seconds(_ text: String) -> Double? {
        var total = 0.0
        var digits = ""
        var sawUnit = false
        var chars = Array(text)
        guard !chars.isEmpty else { return nil }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isASCII, c.isNumber || c == "." {
                digits.append(c)
                i += 1
                continue
            }
            guard let value = Double(digits), !digits.isEmpty else { return nil }
            let unit: Double
            if c == "m", i + 1 < chars.count, chars[i + 1] == "s" {
                unit = 0.001
                i += 2
            } else {
                switch c {
                case "s": unit = 1
                case "m": unit = 60
                case "h": unit = 3600
                case "d": unit = 86400
                case "w": unit = 604_800
                default: return nil
                }
                i += 1
            }
            total += value * unit
            digits = ""
            sawUnit = true
        }
        chars.removeAll()
        guard digits.isEmpty, sawUnit, total.isFinite else { return nil }
        return total
    }

    /// `30s`, `10m`, `1h`, `1.5s`, `500ms`: for messages and the landing page.
    package static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return "\(seconds)s"
    }
}
