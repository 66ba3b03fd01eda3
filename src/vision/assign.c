#include "assign.h"

#include <float.h>

void assign_solve(struct assign_work *w, const float *cost, int rows, int cols, float infeasible,
		  int *sol)
{
	/* Square it: padding costs nothing, so a row or column left over is
	 * simply unassigned. Indices are 1-based below, 0 is the sentinel. */
	const int n = rows > cols ? rows : cols;

	for (int r = 0; r < n; r++)
		for (int c = 0; c < n; c++)
			w->a[r * n + c] = r < rows && c < cols ? (double)cost[r * cols + c] : 0.0;
	for (int j = 0; j <= n; j++) {
		w->u[j] = w->v[j] = 0.0;
		w->p[j] = w->way[j] = 0;
	}
	for (int i = 1; i <= n; i++) {
		int j0 = 0;
		w->p[0] = i;
		for (int j = 0; j <= n; j++) {
			w->minv[j] = DBL_MAX;
			w->used[j] = 0;
		}
		do {
			int i0 = w->p[j0], j1 = 0;
			double delta = DBL_MAX;
			w->used[j0] = 1;
			for (int j = 1; j <= n; j++) {
				if (w->used[j])
					continue;
				double cur = w->a[(i0 - 1) * n + (j - 1)] - w->u[i0] - w->v[j];
				if (cur < w->minv[j]) {
					w->minv[j] = cur;
					w->way[j] = j0;
				}
				if (w->minv[j] < delta) {
					delta = w->minv[j];
					j1 = j;
				}
			}
			for (int j = 0; j <= n; j++) {
				if (w->used[j]) {
					w->u[w->p[j]] += delta;
					w->v[j] -= delta;
				} else {
					w->minv[j] -= delta;
				}
			}
			j0 = j1;
		} while (w->p[j0] != 0);
		do {
			int j1 = w->way[j0];
			w->p[j0] = w->p[j1];
			j0 = j1;
		} while (j0);
	}
	for (int r = 0; r < rows; r++)
		sol[r] = -1;
	for (int j = 1; j <= n; j++) {
		int r = w->p[j] - 1, c = j - 1;
		if (r < rows && c < cols && cost[r * cols + c] < infeasible)
			sol[r] = c;
	}
}
