import Foundation

/// A size–perplexity scatter plot of report rows, drawn as standalone SVG: x is bits per weight (or size on disk),
/// y perplexity; each point labelled with its row's name and coloured by tool.
public struct ScatterPlot: Sendable {
    /// What the x axis measures.
    public enum XAxis: String, Sendable, CaseIterable {
        case bitsPerWeight = "bits"
        case size

        var title: String {
            switch self {
            case .bitsPerWeight: "bits per weight"
            case .size: "size on disk (MiB)"
            }
        }

        func value(_ row: ComparisonRow) -> Double? {
            switch self {
            case .bitsPerWeight: row.bitsPerWeight
            case .size: row.sizeBytes.map { Double($0) / Double(1 << 20) }
            }
        }
    }

    public struct Point: Sendable, Equatable {
        public var label: String
        public var tool: String
        public var x: Double
        public var y: Double
        public var isBase: Bool
    }

    public let xAxis: XAxis
    /// One point per row with a finite perplexity and a finite x value; the base first.
    public let points: [Point]
    /// Names of rows with a finite perplexity left out for want of an x value.
    public let omitted: [String]
    /// The base's perplexity (a dashed reference line), when finite.
    public let basePerplexity: Double?

    /// Plots `report`'s rows against `xAxis`; nil picks bits per weight unless more rows have a size than bits.
    public init(report: ComparisonReport, xAxis: XAxis? = nil) {
        let rows = report.allRows
        let plotted = rows.filter { $0.perplexity?.isFinite == true }
        func covered(_ axis: XAxis) -> Int { plotted.filter { axis.value($0)?.isFinite == true }.count }
        let axis = xAxis ?? (covered(.size) > covered(.bitsPerWeight) ? .size : .bitsPerWeight)
        var points: [Point] = [], omitted: [String] = []
        for (i, row) in rows.enumerated() {
            guard let y = row.perplexity, y.isFinite else { continue }
            guard let x = axis.value(row), x.isFinite else { omitted.append(row.name); continue }
            points.append(Point(label: row.name, tool: row.tool, x: x, y: y, isBase: i == 0))
        }
        self.xAxis = axis
        self.points = points
        self.omitted = omitted
        basePerplexity = report.base.perplexity.flatMap { $0.isFinite ? $0 : nil }
    }

    // MARK: - Colours

    /// Colours by tool: fixed for the tools we know, then a palette in order of first appearance.
    static let knownColours = ["pith": "#1f77b4", "llama.cpp": "#ff7f0e"]
    static let palette = ["#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    /// Each tool in order of first appearance, with its colour.
    public var toolColours: [(tool: String, colour: String)] {
        var seen: [(String, String)] = []
        var next = 0
        for p in points where !seen.contains(where: { $0.0 == p.tool }) {
            if let known = Self.knownColours[p.tool] {
                seen.append((p.tool, known))
            } else {
                seen.append((p.tool, Self.palette[next % Self.palette.count]))
                next += 1
            }
        }
        return seen
    }
}

// MARK: - Drawing

extension ScatterPlot {
    /// The plot as an `<svg>` element (with its XML namespace, so the same text is a valid `.svg` file).
    public func svg(width: Int = 760, height: Int = 460) -> String {
        let left = 72.0, right = 170.0, top = 36.0, bottom = 56.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        let xs = Axis(values: points.map(\.x)), ys = Axis(values: points.map(\.y) + (basePerplexity.map { [$0] } ?? []))
        func px(_ x: Double) -> Double { left + (x - xs.low) / (xs.high - xs.low) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - ys.low) / (ys.high - ys.low) * plotH }
        func n(_ v: Double) -> String { String(format: "%.1f", v) }
        let colours = Dictionary(toolColours.map { ($0.tool, $0.colour) }, uniquingKeysWith: { a, _ in a })

        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
        font-family="sans-serif" font-size="12" role="img" aria-label="perplexity against \(Markup.escape(xAxis.title))">
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="#ffffff"/>
        <rect x="\(n(left))" y="\(n(top))" width="\(n(plotW))" height="\(n(plotH))" fill="none" stroke="#444444"/>

        """
        // Grid and ticks.
        for t in xs.ticks {
            let x = px(t)
            s += "<line x1=\"\(n(x))\" y1=\"\(n(top))\" x2=\"\(n(x))\" y2=\"\(n(top + plotH))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(n(x))\" y=\"\(n(top + plotH + 16))\" text-anchor=\"middle\">\(Markup.escape(xs.label(t)))</text>\n"
        }
        for t in ys.ticks {
            let y = py(t)
            s += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(left + plotW))\" y2=\"\(n(y))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(n(left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\">\(Markup.escape(ys.label(t)))</text>\n"
        }
        s += "<text x=\"\(n(left + plotW / 2))\" y=\"\(n(Double(height) - 14))\" text-anchor=\"middle\">\(Markup.escape(xAxis.title))</text>\n"
        s += "<text transform=\"translate(18 \(n(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">perplexity</text>\n"
        if let base = basePerplexity {
            let y = py(base)
            s += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(left + plotW))\" y2=\"\(n(y))\" stroke=\"#888888\" stroke-dasharray=\"4 4\"/>\n"
        }
        // Points, then their labels, so no point hides a label.
        for p in points {
            let colour = colours[p.tool] ?? "#000000"
            let title = "\(p.label) (\(p.tool)): \(xs.label(p.x, precise: true)) \(xAxis == .size ? "MiB" : "bits/w"), perplexity \(String(format: "%.4f", p.y))"
            s += "<circle class=\"point\" cx=\"\(n(px(p.x)))\" cy=\"\(n(py(p.y)))\" r=\"\(p.isBase ? 6 : 5)\" fill=\"\(colour)\""
            s += (p.isBase ? " stroke=\"#000000\" stroke-width=\"2\"" : " stroke=\"#ffffff\"")
            s += "><title>\(Markup.escape(title))</title></circle>\n"
        }
        var placed: [LabelBox] = []
        for p in points {
            let text = p.isBase ? p.label + " (base)" : p.label
            let box = LabelBox.place(text, nearX: px(p.x), y: py(p.y), canvasWidth: Double(width), avoiding: placed)
            placed.append(box)
            s += "<text class=\"label\" x=\"\(n(box.anchorX))\" y=\"\(n(box.baseline))\"\(box.leftOfPoint ? " text-anchor=\"end\"" : "")>"
            s += "\(Markup.escape(text))</text>\n"
        }
        // Legend, right of the plot.
        for (i, entry) in toolColours.enumerated() {
            let y = top + 10 + Double(i) * 18
            s += "<circle cx=\"\(n(left + plotW + 18))\" cy=\"\(n(y))\" r=\"5\" fill=\"\(entry.colour)\"/>\n"
            s += "<text x=\"\(n(left + plotW + 28))\" y=\"\(n(y + 4))\">\(Markup.escape(entry.tool))</text>\n"
        }
        if points.isEmpty {
            s += "<text x=\"\(n(left + plotW / 2))\" y=\"\(n(top + plotH / 2))\" text-anchor=\"middle\">no row has both a perplexity and \(Markup.escape(xAxis.title))</text>\n"
        }
        s += "</svg>\n"
        return s
    }
}

/// Where a point's label goes: right of the point (left when it would leave the canvas), moved down past the labels
/// already placed so that two points at the same spot keep readable labels.
struct LabelBox {
    var minX: Double, maxX: Double, baseline: Double
    var anchorX: Double
    var leftOfPoint: Bool

    /// Text of 12 px sans-serif: about 7 px a character, 14 px a line.
    static let characterWidth = 7.0, lineHeight = 14.0

    static func place(_ text: String, nearX x: Double, y: Double, canvasWidth: Double, avoiding placed: [LabelBox]) -> LabelBox {
        let width = Double(text.count) * characterWidth
        let left = x + 8 + width > canvasWidth - 4
        var box = LabelBox(minX: left ? x - 8 - width : x + 8, maxX: left ? x - 8 : x + 8 + width, baseline: y - 6,
                           anchorX: left ? x - 8 : x + 8, leftOfPoint: left)
        // Each pass moves below one overlapping label; at most one pass per placed label.
        for _ in 0...placed.count {
            guard let clash = placed.first(where: { $0.overlaps(box) }) else { break }
            box.baseline = clash.baseline + lineHeight
        }
        return box
    }

    func overlaps(_ other: LabelBox) -> Bool {
        minX < other.maxX && other.minX < maxX && abs(baseline - other.baseline) < Self.lineHeight
    }
}

/// A linear axis over some values: a range padded to round numbers, and ticks at a 1-2-5 step.
struct Axis {
    let low: Double
    let high: Double
    let step: Double

    init(values: [Double]) {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        // One value, or all equal: open a window around it.
        if hi - lo < max(abs(hi), 1) * 1e-9 {
            let pad = max(abs(lo) * 0.1, 0.5)
            lo -= pad
            hi += pad
        } else {
            let pad = (hi - lo) * 0.08
            lo -= pad
            hi += pad
        }
        let step = Self.niceStep((hi - lo) / 6)
        self.step = step
        low = (lo / step).rounded(.down) * step
        high = (hi / step).rounded(.up) * step
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw { return m * magnitude }
        return 10 * magnitude
    }

    var ticks: [Double] {
        let count = Int(((high - low) / step).rounded())
        return (0...max(count, 0)).map { low + Double($0) * step }
    }

    /// A tick's text, with as many decimals as the step needs (a few more when `precise`).
    func label(_ v: Double, precise: Bool = false) -> String {
        let decimals = max(0, Int((-log10(step)).rounded(.up))) + (precise ? 2 : 0)
        return String(format: "%.\(decimals)f", abs(v) < step * 1e-9 ? 0 : v)
    }
}
