using System.Globalization;
using System.Security;
using System.Text;

namespace SimdRnn.Cli;

/// <summary>
/// A small dependency-free line chart written as SVG: the loss curve and the gradient-flow picture. Axes run between
/// "nice" tick values (1, 2 or 5 x 10^k apart; whole decades on a log axis), the tick labels are spaced so that they
/// cannot overlap, and the left margin is sized from the widest y tick label so that the rotated y label sits left of
/// them. Text widths are estimated from character counts (<see cref="CharWidth"/> per character).
/// </summary>
/// <param name="integerX">The x values are counts (steps): x ticks fall on whole numbers only.</param>
internal sealed class SvgChart(string title, string xLabel, string yLabel, bool logY = false, bool integerX = false)
{
    /// <summary>Font size of the tick labels, axis labels and legend.</summary>
    public const double FontSize = 12;

    /// <summary>Font size of the title.</summary>
    public const double TitleFontSize = 15;

    /// <summary>An upper estimate of a sans-serif character's advance, as a fraction of the font size.</summary>
    public const double CharWidth = 0.62;

    private const double TickLength = 5, Gap = 6, LineHeight = 1.3 * FontSize;
    private const int MaximumTicks = 9;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
    private readonly List<(string Name, IReadOnlyList<(double X, double Y)> Points)> _series = [];

    public SvgChart Add(string name, IReadOnlyList<(double X, double Y)> points)
    {
        _series.Add((name, points));
        return this;
    }

    /// <summary>The width in pixels of <paramref name="text"/> at <paramref name="fontSize"/>, estimated from its length.</summary>
    public static double TextWidth(string text, double fontSize = FontSize) => text.Length * CharWidth * fontSize;

    /// <summary>The SVG document. Points that cannot be drawn (NaN, infinite, or &lt;= 0 on a log axis) are skipped.</summary>
    public string Render(int width = 800, int height = 480)
    {
        const double top = 40, bottom = 50;
        double legendWidth = 52 + _series.Select(s => TextWidth(s.Name)).DefaultIfEmpty(0).Max();
        var points = _series.SelectMany(s => s.Points).Where(Drawable).ToList();
        double xLow = points.Count > 0 ? points.Min(p => p.X) : 0, xHigh = points.Count > 0 ? points.Max(p => p.X) : 1;
        double yLow = points.Count > 0 ? points.Min(p => MapY(p.Y)) : 0, yHigh = points.Count > 0 ? points.Max(p => MapY(p.Y)) : 1;
        double plotHeight = height - top - bottom;

        // The y ticks first: their widest label decides the left margin, which decides the room for the x ticks.
        AxisTicks yTicks = AxisTicks.Fit(yLow, yHigh, integer: false, log: logY, MaximumTicks, plotHeight, _ => LineHeight);
        double yTickWidth = yTicks.Labels.Max(label => TextWidth(label));
        double yLabelX = Gap + FontSize; // the baseline of the rotated y label; its glyphs reach about one font size left of it
        double left = Math.Ceiling(yLabelX + Gap + yTickWidth + Gap + TickLength);
        double right = Math.Max(legendWidth + 2 * Gap, 24);
        double plotWidth = width - left - right;
        AxisTicks xTicks = AxisTicks.Fit(xLow, xHigh, integerX, log: false, MaximumTicks, plotWidth, label => TextWidth(label) + 2 * Gap);
        // An x tick label is centred on its tick: the first and last must not reach past the picture's edges (long labels
        // such as -1000000000000 would), so widen the margins to half the widest label and fit the ticks again.
        for (int pass = 0; pass < 3; pass++)
        {
            double halfLabel = Math.Ceiling(xTicks.Labels.Max(label => TextWidth(label)) / 2 + Gap);
            if (halfLabel <= left && halfLabel <= right) break;
            left = Math.Max(left, halfLabel);
            right = Math.Max(right, halfLabel);
            plotWidth = width - left - right;
            xTicks = AxisTicks.Fit(xLow, xHigh, integerX, log: false, MaximumTicks, plotWidth, label => TextWidth(label) + 2 * Gap);
        }

        double Sx(double x) => left + (x - xTicks.Low) / (xTicks.High - xTicks.Low) * plotWidth;
        double SyMapped(double y) => top + (1 - (y - yTicks.Low) / (yTicks.High - yTicks.Low)) * plotHeight;
        double Sy(double y) => SyMapped(MapY(y));

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"{FontSize}\">\n"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text class=\"title\" x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"{TitleFontSize}\">{Escape(title)}</text>\n"));
        for (int i = 0; i < xTicks.Values.Count; i++)
        {
            double px = Sx(xTicks.Values[i]), bottomY = top + plotHeight;
            svg.Append(Invariant($"<line x1=\"{px:F1}\" y1=\"{top}\" x2=\"{px:F1}\" y2=\"{bottomY}\" stroke=\"#eee\"/>"));
            svg.Append(Invariant($"<line x1=\"{px:F1}\" y1=\"{bottomY}\" x2=\"{px:F1}\" y2=\"{bottomY + TickLength}\" stroke=\"#444\"/>"));
            svg.Append(Invariant($"<text class=\"x-tick\" x=\"{px:F1}\" y=\"{bottomY + TickLength + FontSize + 1}\" text-anchor=\"middle\">{xTicks.Labels[i]}</text>\n"));
        }

        for (int i = 0; i < yTicks.Values.Count; i++)
        {
            double py = SyMapped(yTicks.Values[i]);
            svg.Append(Invariant($"<line x1=\"{left}\" y1=\"{py:F1}\" x2=\"{left + plotWidth}\" y2=\"{py:F1}\" stroke=\"#ddd\"/>"));
            svg.Append(Invariant($"<line x1=\"{left - TickLength}\" y1=\"{py:F1}\" x2=\"{left}\" y2=\"{py:F1}\" stroke=\"#444\"/>"));
            svg.Append(Invariant($"<text class=\"y-tick\" x=\"{left - TickLength - Gap}\" y=\"{py + FontSize / 3:F1}\" text-anchor=\"end\">{yTicks.Labels[i]}</text>\n"));
        }

        svg.Append(Invariant($"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#444\"/>\n"));
        svg.Append(Invariant($"<text class=\"x-label\" x=\"{left + plotWidth / 2:F1}\" y=\"{height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n"));
        svg.Append(Invariant($"<text class=\"y-label\" transform=\"translate({yLabelX} {top + plotHeight / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel + (logY ? " (log scale)" : ""))}</text>\n"));
        for (int s = 0; s < _series.Count; s++)
        {
            string color = Colors[s % Colors.Length];
            string path = string.Join(" ", _series[s].Points.Where(Drawable).Select(p => Invariant($"{Sx(p.X):F1},{Sy(p.Y):F1}")));
            if (path.Length > 0)
                svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{path}\"/>\n"));
            double ly = top + 10 + 18 * s, lx = width - right + Gap;
            svg.Append(Invariant($"<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{lx + 24}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/>"));
            svg.Append(Invariant($"<text class=\"legend\" x=\"{lx + 30}\" y=\"{ly + 4}\">{Escape(_series[s].Name)}</text>\n"));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Writes the chart atomically and returns the full path.</summary>
    public string Save(string path)
    {
        string full = Path.GetFullPath(path);
        string temporary = full + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temporary, Render());
        File.Move(temporary, full, overwrite: true);
        return full;
    }

    private bool Drawable((double X, double Y) p) => double.IsFinite(p.X) && double.IsFinite(p.Y) && (!logY || p.Y > 0);

    private double MapY(double y) => logY ? Math.Log10(y) : y;

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The ticks of one axis: multiples of a nice step (1, 2 or 5 x 10^k) from <see cref="Low"/> to <see cref="High"/>, the
/// axis bounds, which enclose the data. On a log axis the values are exponents of ten and the step a whole number of
/// decades; the labels then read 1e-8.
/// </summary>
internal sealed record AxisTicks(double Low, double High, double Step, IReadOnlyList<double> Values, IReadOnlyList<string> Labels)
{
    /// <summary>
    /// The densest nice ticks over [<paramref name="low"/>, <paramref name="high"/>] with at most
    /// <paramref name="maximumTicks"/> ticks whose labels fit between them: <paramref name="labelExtent"/> (a label's
    /// width on a horizontal axis, its height on a vertical one) at most the spacing of the ticks over
    /// <paramref name="pixels"/>. On an integer or log axis the step is a whole number.
    /// </summary>
    public static AxisTicks Fit(double low, double high, bool integer, bool log, int maximumTicks, double pixels, Func<string, double> labelExtent)
    {
        // A range too narrow for doubles to step through evenly (one value, or 9.08e12 +- 1e-3) is widened about its
        // middle: by 5% of its magnitude, so ticks near 9e12 are not 0.2 apart, where doubles are 0.002 apart.
        double magnitude = Math.Max(Math.Abs(low), Math.Abs(high));
        if (!(high - low > 1e-9 * magnitude))
        {
            double middle = low / 2 + high / 2, half = magnitude > 0 ? 0.05 * magnitude : 0.5;
            (low, high) = log || integer ? (Math.Floor(middle), Math.Floor(middle) + 1) : (middle - half, middle + half);
        }

        int firstPower = (int)Math.Floor(Math.Log10((high - low) / Math.Max(1, maximumTicks - 1))) - 1;
        AxisTicks? widest = null;
        for (int power = firstPower; power < firstPower + 40; power++)
        {
            foreach (int mantissa in (ReadOnlySpan<int>)[1, 2, 5])
            {
                double step = mantissa * Math.Pow(10, power);
                if ((integer || log) && step < 1) continue;
                long first = (long)Math.Floor(low / step + 1e-9), last = (long)Math.Ceiling(high / step - 1e-9);
                if (last - first + 1 > maximumTicks) continue;
                double[] values = new double[last - first + 1];
                for (long i = first; i <= last; i++) values[i - first] = i * step;
                string[] labels = values.Select(value => Label(value, step, log)).ToArray();
                widest = new AxisTicks(values[0], values[^1], step, values, labels);
                double spacing = pixels / (last - first);
                if (labels.All(label => labelExtent(label) <= spacing)) return widest;
            }
        }

        return widest!; // labels too wide for any step: the fewest ticks
    }

    private static string Label(double value, double step, bool log)
    {
        if (log) return "1e" + ((long)Math.Round(value)).ToString(CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
