using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimdRnn.Cli;

namespace SimdRnn.Tests.Cli;

/// <summary>
/// The charts' axes: tick values 1, 2 or 5 x 10^k apart (whole decades on a log axis, whole numbers on an integer
/// axis), the data inside the axes, and no two texts overlapping, their boxes estimated from character counts.
/// </summary>
public class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    /// <summary>A text's box: anchored at x (start, middle or end) around the baseline y, or turned by rotate(-90).</summary>
    private sealed record Box(string Class, string Text, double Left, double Top, double Right, double Bottom)
    {
        public bool Overlaps(Box other) => Left < other.Right && other.Left < Right && Top < other.Bottom && other.Top < Bottom;
    }

    private static double Number(XElement element, string attribute) =>
        double.Parse(element.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    private static List<Box> TextBoxes(XDocument document)
    {
        var boxes = new List<Box>();
        foreach (XElement text in document.Descendants(Svg + "text"))
        {
            double size = text.Attribute("font-size") is { } fontSize ? double.Parse(fontSize.Value, CultureInfo.InvariantCulture) : SvgChart.FontSize;
            double width = SvgChart.TextWidth(text.Value, size), ascent = 0.8 * size, descent = 0.25 * size;
            double start = (string?)text.Attribute("text-anchor") switch { "middle" => -width / 2, "end" => -width, _ => 0 };
            string cls = (string?)text.Attribute("class") ?? "";
            if (text.Attribute("transform") is { } transform)
            {
                Match turned = Regex.Match(transform.Value, @"^translate\(([-\d.]+) ([-\d.]+)\) rotate\(-90\)$");
                Assert.True(turned.Success, transform.Value);
                double x = double.Parse(turned.Groups[1].Value, CultureInfo.InvariantCulture), y = double.Parse(turned.Groups[2].Value, CultureInfo.InvariantCulture);
                // Turned a quarter left: the text runs upwards from y - start, its glyphs stand left of the baseline x.
                boxes.Add(new Box(cls, text.Value, x - ascent, y - start - width, x + descent, y - start));
            }
            else
            {
                double x = Number(text, "x"), y = Number(text, "y");
                boxes.Add(new Box(cls, text.Value, x + start, y - ascent, x + start + width, y + descent));
            }
        }

        return boxes;
    }

    /// <summary>The step between the values, checked to be 1, 2 or 5 x 10^k with every value a multiple of it.</summary>
    private static double AssertNice(IReadOnlyList<double> values, string axis)
    {
        Assert.True(values.Count >= 2, $"{axis}: {values.Count} ticks");
        double measured = (values[^1] - values[0]) / (values.Count - 1);
        double power = Math.Pow(10, Math.Floor(Math.Log10(measured) + 1e-9));
        double mantissa = new[] { 1.0, 2, 5 }.FirstOrDefault(m => Math.Abs(measured / power - m) < 1e-6);
        Assert.True(mantissa > 0, $"{axis}: step {measured} in {string.Join(", ", values)}");
        double step = mantissa * power;
        for (int i = 0; i < values.Count; i++)
        {
            Assert.True(Math.Abs(values[i] - (values[0] + i * step)) <= 1e-6 * step, $"{axis}: uneven ticks {string.Join(", ", values)}");
            Assert.True(Math.Abs(values[i] / step - Math.Round(values[i] / step)) < 1e-6, $"{axis}: {values[i]} is not a multiple of {step}");
        }

        return step;
    }

    /// <summary>Renders the chart and checks its axes and text; returns the x and y tick values (y as exponents on a log axis).</summary>
    private static (double[] X, double[] Y) AssertReadable(SvgChart chart, bool logY, bool integerX)
    {
        XDocument document = XDocument.Parse(chart.Render());
        XElement root = document.Root!;
        double width = Number(root, "width"), height = Number(root, "height");
        List<Box> boxes = TextBoxes(document);
        for (int i = 0; i < boxes.Count; i++)
        {
            Box box = boxes[i];
            Assert.True(box.Left >= 0 && box.Top >= 0 && box.Right <= width && box.Bottom <= height, $"'{box.Text}' leaves the picture: {box}");
            for (int j = i + 1; j < boxes.Count; j++)
                Assert.False(box.Overlaps(boxes[j]), $"'{box.Text}' {box} overlaps '{boxes[j].Text}' {boxes[j]}");
        }

        Box yLabel = boxes.Single(b => b.Class == "y-label");
        Assert.True(boxes.Where(b => b.Class == "y-tick").All(tick => yLabel.Right < tick.Left), "the y label is not left of the y tick labels");

        double[] xs = boxes.Where(b => b.Class == "x-tick").Select(b => double.Parse(b.Text, CultureInfo.InvariantCulture)).ToArray();
        double xStep = AssertNice(xs, "x");
        if (integerX) Assert.True(xStep >= 1 && xs.All(x => x == Math.Round(x)), $"x: {string.Join(", ", xs)} on an integer axis");
        double[] ys = boxes.Where(b => b.Class == "y-tick").Select(b =>
        {
            if (!logY) return double.Parse(b.Text, CultureInfo.InvariantCulture);
            Match power = Regex.Match(b.Text, @"^1e(-?\d+)$");
            Assert.True(power.Success, $"log axis label '{b.Text}' is not a power of ten");
            return double.Parse(power.Groups[1].Value, CultureInfo.InvariantCulture);
        }).ToArray();
        double yStep = AssertNice(ys, "y");
        if (logY) Assert.True(yStep >= 1, $"log axis: a step of {yStep} decades");

        // Every line inside the plot frame: the axes enclose the data.
        XElement frame = document.Descendants(Svg + "rect").Single(r => (string?)r.Attribute("stroke") == "#444");
        double left = Number(frame, "x"), top = Number(frame, "y"), right = left + Number(frame, "width"), bottom = top + Number(frame, "height");
        foreach (XElement line in document.Descendants(Svg + "polyline"))
        {
            foreach (string point in line.Attribute("points")!.Value.Split(' '))
            {
                double[] xy = point.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                Assert.True(xy[0] >= left - 0.05 && xy[0] <= right + 0.05 && xy[1] >= top - 0.05 && xy[1] <= bottom + 0.05, $"point {point} outside the frame");
            }
        }

        return (xs, ys);
    }

    [Fact]
    public void Gradient_flow_chart_has_decades_whole_steps_and_the_y_label_clear_of_the_ticks()
    {
        // The issue's picture: 200 steps, gradients from 8 down to 1e-42 (x labels were 39.8, 79.6; y 3.03E-8, 1.15E-16).
        var chart = new SvgChart("gradient flow: |dL/dh_t| for L = sum(h_T), T=200, H=64, random weights", "step t", "|dL/dh_t|", logY: true, integerX: true);
        chart.Add("RnnTanh", Enumerable.Range(0, 200).Select(t => ((double)t, Math.Pow(10, -42 + 43 * t / 199.0))).ToList());
        chart.Add("Lstm", Enumerable.Range(0, 200).Select(t => ((double)t, Math.Pow(10, -14 + 14.9 * t / 199.0))).ToList());
        (double[] x, double[] y) = AssertReadable(chart, logY: true, integerX: true);
        Assert.Equal([0, 50, 100, 150, 200], x);
        Assert.True(y[0] <= -42 && y[^1] >= 1, string.Join(", ", y));
    }

    [Fact]
    public void Loss_chart_has_1_2_5_ticks()
    {
        var chart = new SvgChart("simdrnn train: Lstm H=320 on tinyshakespeare", "million characters", "loss (nats/char)")
            .Add("train", Enumerable.Range(1, 2700).Select(i => (i * 0.0032, 1.4 + 2.8 / Math.Sqrt(i))).ToList())
            .Add("validation", [(1.0, 1.9), (8.64, 1.534)]);
        (double[] x, double[] y) = AssertReadable(chart, logY: false, integerX: false);
        Assert.Equal(0, x[0]);
        Assert.True(x[^1] >= 8.64 && y[0] <= 1.4 + 2.8 / Math.Sqrt(2700) && y[^1] >= 4.2, $"{string.Join(", ", x)} / {string.Join(", ", y)}");
    }

    [Theory]
    [InlineData(0, 1, 0.999, 1.001, false)]
    [InlineData(-3.7, 12.2, -1e6, 3e7, false)]
    [InlineData(0, 5000, 123456.789, 123456.789, false)] // one y value
    [InlineData(7, 7, 1e-3, 2e-3, true)] // one x value
    [InlineData(0, 1, 1e-30, 1e30, true)]
    [InlineData(1e9, 1e9 + 3, -1e-7, 1e-7, false)]
    [InlineData(9.65e10, 1.268e11, 9.08e12, 9.08e12, false)] // found by the property below: ticks 0.2 apart near 9e12
    [InlineData(0, 1, 5e-8, 5e-8 + 1e-20, false)]
    public void Odd_ranges_still_get_nice_ticks_and_no_overlaps(double x0, double x1, double y0, double y1, bool logY)
    {
        var chart = new SvgChart("t", "x", "y", logY).Add("a", [(x0, y0), (x1, y1)]);
        AssertReadable(chart, logY, integerX: false);
    }

    /// <summary>Found by the property below: a long first x label centred on the left edge reached past the picture.</summary>
    [Fact]
    public void Long_x_labels_stay_inside_the_picture() =>
        AssertReadable(new SvgChart("title", "x", "y").Add("series", [(-5.46e+11, -0.66), (4.52e+11, 4.71)]), logY: false, integerX: false);

    [Property(MaxTest = 300)]
    public Property Any_range_gets_nice_ticks_and_readable_labels()
    {
        Gen<(double, double, double, double, bool, bool)> ranges =
            from xExponent in Gen.Choose(-6, 9)
            from xStart in Gen.Choose(-1000, 1000)
            from xSpan in Gen.Choose(1, 1000)
            from yExponent in Gen.Choose(-12, 12)
            from yStart in Gen.Choose(-1000, 1000)
            from ySpan in Gen.Choose(0, 1000)
            from logY in Gen.Elements(false, true)
            from integerX in Gen.Elements(false, true)
            let xScale = integerX ? Math.Pow(10, Math.Max(0, xExponent)) : Math.Pow(10, xExponent)
            let yScale = Math.Pow(10, yExponent)
            select (xStart * xScale, (xStart + xSpan) * xScale,
                logY ? Math.Pow(10, yStart / 20.0) : yStart * yScale, logY ? Math.Pow(10, (yStart + ySpan) / 20.0) : (yStart + ySpan) * yScale,
                logY, integerX);
        return Prop.ForAll(ranges.ToArbitrary(), range =>
        {
            (double x0, double x1, double y0, double y1, bool logY, bool integerX) = range;
            AssertReadable(new SvgChart("title", "x", "y", logY, integerX).Add("series", [(x0, y0), (x1, y1)]), logY, integerX);
        });
    }
}
