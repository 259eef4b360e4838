/// Renders Unix seconds the ways the five vendors do, without Foundation (cheap enough for 10,000-run benchmarks).
enum TimeText {
    /// `2026-01-15 10:00:00`: RSA's zoneless server-local time, `utcOffset` seconds east of UTC.
    static func rsa(_ t: Double, utcOffset: Int) -> String {
        let (whole, _) = split(t + Double(utcOffset), digits: 0)
        var s = date(whole)
        s.append(" ")
        s.append(clock(whole))
        return s
    }

    /// RFC 3339 in UTC: `2026-01-15T10:00:00Z`, or with `digits` fraction digits (`trimmed` drops trailing zeros,
    /// as .NET's serializers do; JavaScript's `toISOString` keeps all three).
    static func iso(_ t: Double, digits: Int = 0, trimmed: Bool = false) -> String {
        let (whole, fraction) = split(t, digits: digits)
        var s = date(whole)
        s.append("T")
        s.append(clock(whole))
        if digits > 0 {
            var f = String(fraction)
            f = String(repeating: "0", count: max(0, digits - f.count)) + f
            if trimmed { while f.last == "0" { f.removeLast() } }
            if !f.isEmpty { s.append("."); s.append(f) }
        }
        s.append("Z")
        return s
    }

    /// Integer Unix nanoseconds. Double cannot hold them (beyond 2^53), so whole seconds and microseconds are
    /// converted apart and `extraNanos` supplies the last three digits.
    static func nanoseconds(_ t: Double, extraNanos: Int64) -> Int64 {
        let (whole, micros) = split(t, digits: 6)
        return whole * 1_000_000_000 + micros * 1_000 + extraNanos
    }

    /// Whole seconds (floored: a clock showing 10:00:00.75 says 10:00:00) and the fraction rounded to `digits`
    /// digits, carrying into the seconds.
    private static func split(_ t: Double, digits: Int) -> (Int64, Int64) {
        let floored = t.rounded(.down)
        var whole = Int64(floored)
        guard digits > 0 else { return (whole, 0) }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        var fraction = Int64(((t - floored) * Double(scale)).rounded())
        if fraction >= scale { whole += 1; fraction -= scale }
        return (whole, fraction)
    }

    /// `yyyy-MM-dd` of the day holding Unix second `t` (Howard Hinnant's civil_from_days).
    private static func date(_ t: Int64) -> String {
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    /// `HH:mm:ss` of Unix second `t`.
    private static func clock(_ t: Int64) -> String {
        let secondOfDay = ((t % 86_400) + 86_400) % 86_400
        return pad(secondOfDay / 3_600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":" + pad(secondOfDay % 60, 2)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
