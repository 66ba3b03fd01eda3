/* Raster drawing for the preview; draw.h. The font is our own 3x5 pixel
 * design: each glyph five rows of three, '#' lit. */
#include "draw.h"

#include <stdlib.h>
#include <string.h>

static const struct glyph {
	char ch;
	const char rows[16];
} font[] = {
	{'0', "####.##.##.####"}, {'1', ".#.##..#..#.###"}, {'2', "###..#####..###"},
	{'3', "###..####..####"}, {'4', "#.##.####..#..#"}, {'5', "####..###..####"},
	{'6', "####..####.####"}, {'7', "###..#..#..#..#"}, {'8', "####.#####.####"},
	{'9', "####.####..####"}, {'A', ".#.#.#####.##.#"},  {'B', "##.#.###.#.###."},
	{'C', "####..#..#..###"}, {'D', "##.#.##.##.###."}, {'E', "####..##.#..###"},
	{'F', "####..###..#..."}, {'G', "####..#.##.####"}, {'H', "#.##.####.##.##"},
	{'I', "###.#..#..#.###"}, {'J', "..#..#..##.####"}, {'K', "#.##.###.#.##.#"},
	{'L', "#..#..#..#..###"}, {'M', "#.########.##.#"}, {'N', "##.#.##.##.##.#"},
	{'O', "####.##.##.####"}, {'P', "####.####..#..."}, {'Q', "####.##.####..#"},
	{'R', "####.###.#.##.#"}, {'S', "####..###..####"}, {'T', "###.#..#..#..#."},
	{'U', "#.##.##.##.####"}, {'V', "#.##.##.##.#.#."}, {'W', "#.##.########.#"},
	{'X', "#.##.#.#.#.##.#"}, {'Y', "#.##.#.#..#..#."}, {'Z', "###..#.#.#..###"},
	{' ', "..............."}, {'-', "......###......"}, {'_', "............###"},
	{'.', ".............#."}, {':', "....#.....#...."}, {'/', "..#..#.#.#..#.."},
	{'=', "...###...###..."}, {'(', ".#.#..#..#...#."}, {')', ".#...#..#..#.#."},
	{'<', "..#.#.#...#...#"}, {'>', "#...#...#.#.#.."}, {'&', ".#.#.#.#.#.#.##"},
	{'\'', ".#..#.........."}, {'"', "#.##.#........."}, {',', ".........#.#..."},
	{'#', "#.####.####.#.#"}, {'+', "....#.###.#...."}, {'%', "#.#..#.#.#..#.#"},
	{'?', "###..#.#.....#."}, {'!', ".#..#..#.....#."}, {'*', "#.#.#.#.#.#...."},
};

static const char *glyph_rows(char ch)
{
	if (ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 'a' + 'A');
	for (size_t i = 0; i < sizeof(font) / sizeof(font[0]); i++)
		if (font[i].ch == ch)
			return font[i].rows;
	return "####.##.##.####"; /* unknown: a box */
}

static void put(struct rgb_image *im, int x, int y, struct rgb c)
{
	if (x < 0 || y < 0 || x >= im->w || y >= im->h)
		return;
	uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
	p[0] = c.r;
	p[1] = c.g;
	p[2] = c.b;
}

void draw_fill_rect(struct rgb_image *im, int x0, int y0, int x1, int y1, struct rgb c)
{
	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > im->w - 1)
		x1 = im->w - 1;
	if (y1 > im->h - 1)
		y1 = im->h - 1;
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++)
			put(im, x, y, c);
}

/* Bresenham, with a square brush. */
static void line_brush(struct rgb_image *im, int x0, int y0, int x1, int y1, int thick, int dashed,
		       struct rgb c)
{
	/* In 64 bits: ends far outside the picture must not overflow. */
	long long dx = llabs((long long)x1 - x0), dy = -llabs((long long)y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	long long err = dx + dy;
	int step = 0, lo = -(thick - 1) / 2, hi = thick / 2;

	for (;;) {
		if (!dashed || (step / 4) % 2 == 0)
			for (int by = lo; by <= hi; by++)
				for (int bx = lo; bx <= hi; bx++)
					put(im, x0 + bx, y0 + by, c);
		step++;
		if (x0 == x1 && y0 == y1)
			break;
		/* Far outside the picture: nothing left to draw, and a huge
		 * coordinate must not mean a huge loop. */
		if (step > 4 * (im->w + im->h) + 16)
			break;
		long long e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

void draw_line(struct rgb_image *im, int x0, int y0, int x1, int y1, int thick, struct rgb c)
{
	line_brush(im, x0, y0, x1, y1, thick, 0, c);
}

void draw_rect(struct rgb_image *im, int x0, int y0, int x1, int y1, int thick, int dashed,
	       struct rgb c)
{
	line_brush(im, x0, y0, x1, y0, thick, dashed, c);
	line_brush(im, x1, y0, x1, y1, thick, dashed, c);
	line_brush(im, x1, y1, x0, y1, thick, dashed, c);
	line_brush(im, x0, y1, x0, y0, thick, dashed, c);
}

static long edge(int ax, int ay, int bx, int by, int px, int py)
{
	return (long)(bx - ax) * (py - ay) - (long)(by - ay) * (px - ax);
}

void draw_triangle(struct rgb_image *im, const int xy[6], struct rgb c)
{
	int x0 = xy[0], x1 = xy[0], y0 = xy[1], y1 = xy[1];
	for (int i = 1; i < 3; i++) {
		x0 = xy[2 * i] < x0 ? xy[2 * i] : x0;
		x1 = xy[2 * i] > x1 ? xy[2 * i] : x1;
		y0 = xy[2 * i + 1] < y0 ? xy[2 * i + 1] : y0;
		y1 = xy[2 * i + 1] > y1 ? xy[2 * i + 1] : y1;
	}
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 >= im->w ? im->w - 1 : x1;
	y1 = y1 >= im->h ? im->h - 1 : y1;
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++) {
			long a = edge(xy[0], xy[1], xy[2], xy[3], x, y);
			long b = edge(xy[2], xy[3], xy[4], xy[5], x, y);
			long d = edge(xy[4], xy[5], xy[0], xy[1], x, y);
			if ((a >= 0 && b >= 0 && d >= 0) || (a <= 0 && b <= 0 && d <= 0))
				put(im, x, y, c);
		}
}

int draw_text(struct rgb_image *im, int x, int y, int scale, const char *s, struct rgb c)
{
	int n = (int)strlen(s), adv = 4 * scale;
	const struct rgb shade = {0, 0, 0};

	draw_fill_rect(im, x - scale, y - scale, x + n * adv, y + 6 * scale - 1, shade);
	for (int i = 0; i < n; i++) {
		const char *rows = glyph_rows(s[i]);
		for (int r = 0; r < 5; r++)
			for (int k = 0; k < 3; k++)
				if (rows[r * 3 + k] == '#')
					draw_fill_rect(im, x + i * adv + k * scale, y + r * scale,
						       x + i * adv + (k + 1) * scale - 1,
						       y + (r + 1) * scale - 1, c);
	}
	return n * adv;
}

void draw_tint(struct rgb_image *im, const uint8_t *mask, int mw, int mh, struct rgb c, int alpha)
{
	for (int y = 0; y < im->h; y++) {
		const uint8_t *row = mask + (size_t)(y * mh / im->h) * (size_t)mw;
		for (int x = 0; x < im->w; x++) {
			if (!row[x * mw / im->w])
				continue;
			uint8_t *p = im->px + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
			p[0] = (uint8_t)((p[0] * (256 - alpha) + c.r * alpha) >> 8);
			p[1] = (uint8_t)((p[1] * (256 - alpha) + c.g * alpha) >> 8);
			p[2] = (uint8_t)((p[2] * (256 - alpha) + c.b * alpha) >> 8);
		}
	}
}
