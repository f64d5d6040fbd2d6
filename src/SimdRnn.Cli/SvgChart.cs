using System.Globalization;
using System.Security;
using System.Text;

namespace SimdRnn.Cli;

/// <summary>A small dependency-free line chart written as SVG: the loss curve and the gradient-flow picture.</summary>
internal sealed class SvgChart(string title, string xLabel, string yLabel, bool logY = false)
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
    private readonly List<(string Name, IReadOnlyList<(double X, double Y)> Points)> _series = [];

    public SvgChart Add(string name, IReadOnlyList<(double X, double Y)> points)
    {
        _series.Add((name, points));
        return this;
    }

    /// <summary>The SVG document. Points that cannot be drawn (NaN, infinite, or &lt;= 0 on a log axis) are skipped.</summary>
    public string Render(int width = 800, int height = 480)
    {
        const double left = 70, right = 160, top = 40, bottom = 50;
        var points = _series.SelectMany(s => s.Points).Where(Drawable).ToList();
        double xMin = points.Count > 0 ? points.Min(p => p.X) : 0, xMax = points.Count > 0 ? points.Max(p => p.X) : 1;
        double yMin = points.Count > 0 ? points.Min(p => MapY(p.Y)) : 0, yMax = points.Count > 0 ? points.Max(p => MapY(p.Y)) : 1;
        if (xMax <= xMin) xMax = xMin + 1;
        if (yMax <= yMin) yMax = yMin + 1;
        double plotWidth = width - left - right, plotHeight = height - top - bottom;
        double Sx(double x) => left + (x - xMin) / (xMax - xMin) * plotWidth;
        double Sy(double y) => top + (1 - (MapY(y) - yMin) / (yMax - yMin)) * plotHeight;

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n"));
        svg.Append(Invariant($"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"none\" stroke=\"#444\"/>\n"));
        for (int i = 0; i <= 5; i++)
        {
            double fx = xMin + (xMax - xMin) * i / 5, fy = yMin + (yMax - yMin) * i / 5;
            double px = Sx(fx), py = top + (1 - i / 5.0) * plotHeight;
            string yText = logY ? Math.Pow(10, fy).ToString("0.##E+0", CultureInfo.InvariantCulture) : fy.ToString("G4", CultureInfo.InvariantCulture);
            svg.Append(Invariant($"<line x1=\"{px:F1}\" y1=\"{top + plotHeight}\" x2=\"{px:F1}\" y2=\"{top + plotHeight + 5}\" stroke=\"#444\"/>"));
            svg.Append(Invariant($"<text x=\"{px:F1}\" y=\"{top + plotHeight + 18}\" text-anchor=\"middle\">{fx.ToString("G4", CultureInfo.InvariantCulture)}</text>\n"));
            svg.Append(Invariant($"<line x1=\"{left}\" y1=\"{py:F1}\" x2=\"{left + plotWidth}\" y2=\"{py:F1}\" stroke=\"#ddd\"/>"));
            svg.Append(Invariant($"<text x=\"{left - 6}\" y=\"{py + 4:F1}\" text-anchor=\"end\">{yText}</text>\n"));
        }

        svg.Append(Invariant($"<text x=\"{left + plotWidth / 2}\" y=\"{height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n"));
        svg.Append(Invariant($"<text transform=\"translate(16 {top + plotHeight / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel + (logY ? " (log scale)" : ""))}</text>\n"));
        for (int s = 0; s < _series.Count; s++)
        {
            string color = Colors[s % Colors.Length];
            string path = string.Join(" ", _series[s].Points.Where(Drawable).Select(p => Invariant($"{Sx(p.X):F1},{Sy(p.Y):F1}")));
            if (path.Length > 0)
                svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.6\" points=\"{path}\"/>\n"));
            double ly = top + 10 + 18 * s;
            svg.Append(Invariant($"<line x1=\"{width - right + 12}\" y1=\"{ly}\" x2=\"{width - right + 36}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/>"));
            svg.Append(Invariant($"<text x=\"{width - right + 42}\" y=\"{ly + 4}\">{Escape(_series[s].Name)}</text>\n"));
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
