/* Minimum-cost one-to-one assignment (the Hungarian method, in the
 * O(n^3) shortest-augmenting-path form with row and column potentials)
 * for the tracker's small matrices. Scratch space is the caller's, so
 * nothing is allocated per frame. */
#ifndef TURNSTILE_ASSIGN_H
#define TURNSTILE_ASSIGN_H

#define ASSIGN_MAX 64

struct assign_work {
	double a[ASSIGN_MAX * ASSIGN_MAX];
	double u[ASSIGN_MAX + 1], v[ASSIGN_MAX + 1], minv[ASSIGN_MAX + 1];
	int p[ASSIGN_MAX + 1], way[ASSIGN_MAX + 1];
	unsigned char used[ASSIGN_MAX + 1];
};

/* cost is rows x cols (row-major, each at most ASSIGN_MAX). Writes to
 * sol[r] the column assigned to row r, or -1 when the row is left
 * unassigned: rows beyond the columns, and any pair whose cost is at least
 * infeasible. The sum of the assigned costs is minimal. */
void assign_solve(struct assign_work *w, const float *cost, int rows, int cols, float infeasible,
		  int *sol);

#endif
