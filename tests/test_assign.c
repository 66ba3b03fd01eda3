/* The Hungarian method against brute force and against the cases a
 * nearest-first matcher gets wrong: square, rectangular both ways, and
 * infeasible pairs. */
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "assign.h"

#define INF 1e6f

static struct assign_work work;

static double total(const float *cost, int rows, int cols, const int *sol)
{
	double s = 0;
	for (int r = 0; r < rows; r++)
		if (sol[r] >= 0)
			s += cost[r * cols + sol[r]];
	return s;
}

static void assert_one_to_one(const int *sol, int rows, int cols)
{
	int used[ASSIGN_MAX] = {0};
	for (int r = 0; r < rows; r++) {
		if (sol[r] < 0)
			continue;
		assert_in_range(sol[r], 0, cols - 1);
		assert_int_equal(used[sol[r]], 0);
		used[sol[r]] = 1;
	}
}

/* Minimum over every way to give each row a distinct column or none, where
 * only feasible pairs may be used, maximising first the number of pairs. */
static void brute(const float *cost, int rows, int cols, int r, int *used, int pairs, double sum,
		  int *best_pairs, double *best_sum)
{
	if (r == rows) {
		if (pairs > *best_pairs || (pairs == *best_pairs && sum < *best_sum)) {
			*best_pairs = pairs;
			*best_sum = sum;
		}
		return;
	}
	brute(cost, rows, cols, r + 1, used, pairs, sum, best_pairs, best_sum);
	for (int c = 0; c < cols; c++) {
		if (used[c] || cost[r * cols + c] >= INF)
			continue;
		used[c] = 1;
		brute(cost, rows, cols, r + 1, used, pairs + 1, sum + cost[r * cols + c], best_pairs,
		      best_sum);
		used[c] = 0;
	}
}

static void nearest_first_trap_is_solved_optimally(void **state)
{
	(void)state;
	/* Greedy takes the 1 and is left with the 100; the optimum is 2 + 2. */
	const float cost[] = {
		1, 2,
		2, 100,
	};
	int sol[2];
	assign_solve(&work, cost, 2, 2, INF, sol);
	assert_int_equal(sol[0], 1);
	assert_int_equal(sol[1], 0);
}

static void known_3x3_optimum(void **state)
{
	(void)state;
	const float cost[] = {
		4, 1, 3,
		2, 0, 5,
		3, 2, 2,
	};
	int sol[3];
	assign_solve(&work, cost, 3, 3, INF, sol);
	assert_int_equal(sol[0], 1);
	assert_int_equal(sol[1], 0);
	assert_int_equal(sol[2], 2);
	assert_float_equal(total(cost, 3, 3, sol), 5.0, 1e-6);
}

static void more_rows_than_columns_leaves_the_costliest_row_out(void **state)
{
	(void)state;
	const float cost[] = {
		5, 9,
		1, 8,
		2, 3,
	};
	int sol[3];
	assign_solve(&work, cost, 3, 2, INF, sol);
	/* Optimum 1 + 3: row 0 unassigned. */
	assert_int_equal(sol[0], -1);
	assert_int_equal(sol[1], 0);
	assert_int_equal(sol[2], 1);
}

static void more_columns_than_rows_picks_the_best_columns(void **state)
{
	(void)state;
	const float cost[] = {
		7, 3, 1, 9,
		8, 2, 1, 9,
	};
	int sol[2];
	assign_solve(&work, cost, 2, 4, INF, sol);
	/* Optimum 1 + 2 (not 1 + 2 swapped: row 0 takes col 2, row 1 col 1). */
	assert_int_equal(sol[0], 2);
	assert_int_equal(sol[1], 1);
}

static void infeasible_pairs_are_left_unassigned(void **state)
{
	(void)state;
	const float cost[] = {
		1, INF, INF,
		INF, INF, INF,
		INF, INF, 4,
	};
	int sol[3];
	assign_solve(&work, cost, 3, 3, INF, sol);
	assert_int_equal(sol[0], 0);
	assert_int_equal(sol[1], -1);
	assert_int_equal(sol[2], 2);
	/* All infeasible: nothing at all. */
	const float none[] = {INF, INF, INF, INF};
	assign_solve(&work, none, 2, 2, INF, sol);
	assert_int_equal(sol[0], -1);
	assert_int_equal(sol[1], -1);
}

static void feasible_pairs_win_over_a_cheaper_infeasible_plan(void **state)
{
	(void)state;
	/* Row 0 is cheapest at col 0, but then row 1 has nothing feasible;
	 * giving row 0 col 1 serves both. */
	const float cost[] = {
		1, 3,
		2, INF,
	};
	int sol[2];
	assign_solve(&work, cost, 2, 2, INF, sol);
	assert_int_equal(sol[0], 1);
	assert_int_equal(sol[1], 0);
}

static uint32_t rng = 2024;

static float rnd(void)
{
	rng = rng * 1664525u + 1013904223u;
	return (float)(rng >> 8) / (float)(1u << 24);
}

static void random_matrices_match_brute_force(void **state)
{
	(void)state;
	for (int iter = 0; iter < 400; iter++) {
		int rows = 1 + (int)(rnd() * 6), cols = 1 + (int)(rnd() * 6);
		float cost[36];
		for (int i = 0; i < rows * cols; i++)
			cost[i] = rnd() < 0.15f ? INF : (float)(int)(rnd() * 20.0f) / 4.0f;
		int sol[6];
		assign_solve(&work, cost, rows, cols, INF, sol);
		assert_one_to_one(sol, rows, cols);
		int used[6] = {0}, best_pairs = -1;
		double best_sum = DBL_MAX;
		brute(cost, rows, cols, 0, used, 0, 0.0, &best_pairs, &best_sum);
		int pairs = 0;
		for (int r = 0; r < rows; r++)
			if (sol[r] >= 0) {
				assert_true(cost[r * cols + sol[r]] < INF);
				pairs++;
			}
		assert_int_equal(pairs, best_pairs);
		assert_float_equal(total(cost, rows, cols, sol), best_sum, 1e-4);
	}
}

static void full_size_matrix_is_solved(void **state)
{
	(void)state;
	/* ASSIGN_MAX square, identity optimum hidden in a reversed order. */
	static float cost[ASSIGN_MAX * ASSIGN_MAX];
	int sol[ASSIGN_MAX];
	for (int r = 0; r < ASSIGN_MAX; r++)
		for (int c = 0; c < ASSIGN_MAX; c++)
			cost[r * ASSIGN_MAX + c] = c == ASSIGN_MAX - 1 - r ? 0.0f : 1.0f + (float)((r + c) % 7);
	assign_solve(&work, cost, ASSIGN_MAX, ASSIGN_MAX, INF, sol);
	for (int r = 0; r < ASSIGN_MAX; r++)
		assert_int_equal(sol[r], ASSIGN_MAX - 1 - r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nearest_first_trap_is_solved_optimally),
		cmocka_unit_test(known_3x3_optimum),
		cmocka_unit_test(more_rows_than_columns_leaves_the_costliest_row_out),
		cmocka_unit_test(more_columns_than_rows_picks_the_best_columns),
		cmocka_unit_test(infeasible_pairs_are_left_unassigned),
		cmocka_unit_test(feasible_pairs_win_over_a_cheaper_infeasible_plan),
		cmocka_unit_test(random_matrices_match_brute_force),
		cmocka_unit_test(full_size_matrix_is_solved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
