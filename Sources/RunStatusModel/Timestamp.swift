import Foundation

/// Time parsing without Foundation date formatters (10,000 runs are decoded per poll cycle):
/// ISO 8601 / RFC 3339, zoneless wall times in a configured zone (RSA), Unix nanoseconds
/// (Instabase), epoch seconds (WES) and HTTP dates (`Retry-After`). Results are Unix seconds.
public enum Timestamp {
    /// 9999-12-31T23:59:59Z. Anything later (or before 1970) is a broken value, not a time:
    /// bounding it keeps later arithmetic (durations, `Duration`) far from overflow.
    public static let latestSeconds: Double = 253_402_300_799

    /// A calendar date and wall-clock time as written, before any zone is applied.
    public struct CivilTime: Sendable, Equatable {
        public var year: Int
        public var month: Int
        public var day: Int
        public var hour: Int
        public var minute: Int
        public var second: Int
        public var nanosecond: Int
        /// Seconds east of UTC when the text carried a zone (`Z`, `+02:00`); nil when zoneless.
        public var utcOffset: Int?

        /// Seconds since the epoch of this wall time read as if it were UTC (offset not applied).
        public var wallSeconds: Int {
            Timestamp.daysFromCivil(year: year, month: month, day: day) * 86_400
                + hour * 3_600 + minute * 60 + second
        }

        /// Unix seconds of this wall time at the given offset east of UTC.
        public func unixSeconds(utcOffset offset: Int) -> Double {
            Double(wallSeconds - offset) + Double(nanosecond) / 1e9
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // MARK: ISO 8601

    /// Reads `YYYY-MM-DDTHH:MM[:SS[.fraction]][zone]`. The separator may be `T`, `t` or a space; the
    /// fraction may use `.` or `,` and any number of digits (nanoseconds kept, the rest dropped);
    /// the zone may be `Z`, `±HH`, `±HHMM`, `±HH:MM`, `UTC` or `GMT`, optionally after a space.
    /// Nil when the text is not such a time or a field is out of range.
    public static func parseCivil(_ text: some StringProtocol) -> CivilTime? {
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ parseCivil(bytes: $0) }) { return parsed }
        return Array(text.utf8).withUnsafeBufferPointer { parseCivil(bytes: $0) }
    }

    static func parseCivil(bytes b: UnsafeBufferPointer<UInt8>) -> CivilTime? {
        var lo = 0, hi = b.count
        while lo < hi, isSpace(b[lo]) { lo += 1 }
        while hi > lo, isSpace(b[hi - 1]) { hi -= 1 }
        var i = lo

        func digits(_ n: Int) -> Int? {
            guard i + n <= hi else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < hi, b[i] == c else { return false }
            i += 1
            return true
        }

        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2) else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        guard i < hi, b[i] == UInt8(ascii: "T") || b[i] == UInt8(ascii: "t") || b[i] == 0x20 else { return nil }
        i += 1
        guard let hour = digits(2), expect(0x3A), let minute = digits(2) else { return nil }
        var second = 0, nanosecond = 0
        if expect(0x3A) {
            guard let s = digits(2) else { return nil }
            second = s
            if i < hi, b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",") {
                i += 1
                var count = 0
                while i < hi, b[i] >= 0x30, b[i] <= 0x39 {
                    if count < 9 { nanosecond = nanosecond * 10 + Int(b[i] - 0x30) }
                    count += 1
                    i += 1
                }
                guard count > 0 else { return nil }
                for _ in count..<max(count, 9) { nanosecond *= 10 }
            }
        }
        // 60 is a leap second; it reads as the first second of the next minute.
        guard hour <= 23, minute <= 59, second <= 60 else { return nil }

        var offset: Int?
        if i < hi, b[i] == 0x20 { i += 1 }
        if i < hi {
            switch b[i] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                i += 1
                offset = 0
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                i += 1
                guard let oh = digits(2) else { return nil }
                var om = 0
                if i < hi {
                    _ = expect(0x3A)
                    guard let m = digits(2) else { return nil }
                    om = m
                }
                guard oh <= 23, om <= 59 else { return nil }
                offset = sign * (oh * 3_600 + om * 60)
            default:
                guard hi - i == 3 else { return nil }
                let name = (b[i] | 0x20, b[i + 1] | 0x20, b[i + 2] | 0x20)
                guard name == (0x75, 0x74, 0x63) || name == (0x67, 0x6D, 0x74) else { return nil }  // utc, gmt
                i += 3
                offset = 0
            }
        }
        guard i == hi else { return nil }
        return CivilTime(year: year, month: month, day: day, hour: hour, minute: minute,
                         second: second, nanosecond: nanosecond, utcOffset: offset)
    }

    /// Unix seconds of an ISO 8601 / RFC 3339 time; a zoneless time is read as UTC.
    public static func parseISO8601(_ text: some StringProtocol) -> Double? {
        guard let civil = parseCivil(text) else { return nil }
        return bounded(civil.unixSeconds(utcOffset: civil.utcOffset ?? 0))
    }

    /// Unix seconds of a time written in `zone`'s local wall time (RSA: `2026-01-15 10:00:00`).
    /// An explicit offset in the text wins over the zone.
    public static func parseLocal(_ text: some StringProtocol, in zone: TimeZone) -> Double? {
        guard let civil = parseCivil(text) else { return nil }
        if let offset = civil.utcOffset { return bounded(civil.unixSeconds(utcOffset: offset)) }
        return bounded(civil.unixSeconds(utcOffset: utcOffset(ofWallTime: civil.wallSeconds, in: zone)))
    }

    /// The offset east of UTC that `zone` had when its clocks showed `wall` (seconds of the wall time
    /// read as UTC). Around a DST change a wall time can occur twice (autumn: the first, summer-time,
    /// occurrence is taken) or not at all (spring: it is read with the offset before the change, so
    /// 02:30 on a Berlin spring-forward day is 01:30 UTC, the 03:30 that clocks then showed).
    public static func utcOffset(ofWallTime wall: Int, in zone: TimeZone) -> Int {
        if zone.identifier == "UTC" || zone.identifier == "GMT" { return 0 }
        func offset(at unix: Int) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(unix))) }
        // No zone moves its clocks twice within two days, so the offsets a day either side are the
        // only two candidates.
        let before = offset(at: wall - 86_400)
        let after = offset(at: wall + 86_400)
        if before == after { return before }
        let beforeFits = offset(at: wall - before) == before
        let afterFits = offset(at: wall - after) == after
        switch (beforeFits, afterFits) {
        case (true, true): return max(before, after)  // the larger offset is the earlier instant
        case (false, true): return after
        default: return before
        }
    }

    // MARK: Numbers

    /// Unix seconds of integer Unix nanoseconds, split before converting so the whole seconds stay
    /// exact and the fraction keeps what a Double can hold (about 0.2 µs today).
    public static func seconds(fromUnixNanoseconds ns: Int64) -> Double {
        let (whole, fraction) = ns.quotientAndRemainder(dividingBy: 1_000_000_000)
        return Double(whole) + Double(fraction) / 1e9
    }

    /// Epoch seconds written as digits with an optional fraction (`1700000000`, `1700000000.25`).
    /// Nil for anything else, including signs, exponents, `inf` and `nan`, and for values out of range.
    public static func parseEpochSeconds(_ text: some StringProtocol) -> Double? {
        parseDecimal(text).flatMap(bounded)
    }

    /// A non-negative decimal written as digits with an optional fraction; nil for anything else
    /// (signs, exponents, `inf`, `nan`, hex) and for more than 40 characters.
    public static func parseDecimal(_ text: some StringProtocol) -> Double? {
        let string = String(text)
        let t = string.utf8
        var dots = 0, digitCount = 0
        for c in t {
            if c == UInt8(ascii: ".") { dots += 1 } else if c >= 0x30, c <= 0x39 { digitCount += 1 } else { return nil }
        }
        guard digitCount > 0, dots <= 1, t.first != UInt8(ascii: "."), t.last != UInt8(ascii: ".") else { return nil }
        // Longer than any plausible epoch or delay: spare Double parsing a megabyte of digits.
        guard t.count <= 40, let value = Double(string), value.isFinite else { return nil }
        return value
    }

    static func bounded(_ seconds: Double) -> Double? {
        seconds.isFinite && seconds >= 0 && seconds <= latestSeconds ? seconds : nil
    }

    // MARK: HTTP dates

    /// Unix seconds of an HTTP date in any of the three forms RFC 9110 makes recipients accept:
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`.
    public static func parseHTTPDate(_ text: some StringProtocol) -> Double? {
        guard text.utf8.count <= 64 else { return nil }
        let tokens = String(text).split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" || $0 == "\t" })
        var numbers: [Int] = []
        var month: Int?
        var time: (Int, Int, Int)?
        for token in tokens {
            if token.contains(":") {
                let parts = token.split(separator: ":", omittingEmptySubsequences: false)
                guard time == nil, parts.count == 3, let h = Int(parts[0]), let m = Int(parts[1]), let s = Int(parts[2]),
                      parts.allSatisfy({ $0.count == 2 }), h <= 23, m <= 59, s <= 60 else { return nil }
                time = (h, m, s)
            } else if token.allSatisfy(\.isASCIIDigit) {
                guard token.count <= 4, let n = Int(token) else { return nil }
                numbers.append(n)
            } else if let m = monthNumber(token) {
                guard month == nil else { return nil }
                month = m
            } else if token.uppercased() == "GMT" || token.uppercased() == "UTC" || weekdays.contains(token.lowercased()) {
                continue
            } else {
                return nil
            }
        }
        // In all three forms the day comes before the year.
        guard let month, let (h, m, s) = time, numbers.count == 2 else { return nil }
        let day = numbers[0]
        var year = numbers[1]
        if year < 100 { year += year < 70 ? 2000 : 1900 }
        guard year >= 1970, year <= 9999, day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        let civil = CivilTime(year: year, month: month, day: day, hour: h, minute: m, second: s, nanosecond: 0, utcOffset: 0)
        return bounded(civil.unixSeconds(utcOffset: 0))
    }

    static let weekdays: Set<String> = [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    ]

    static func monthNumber(_ token: Substring) -> Int? {
        guard token.count == 3 else { return nil }
        return switch token.lowercased() {
        case "jan": 1
        case "feb": 2
        case "mar": 3
        case "apr": 4
        case "may": 5
        case "jun": 6
        case "jul": 7
        case "aug": 8
        case "sep": 9
        case "oct": 10
        case "nov": 11
        case "dec": 12
        default: nil
        }
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
