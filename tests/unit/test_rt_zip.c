/* test_rt_zip.c - zip's state (runtime/zip.c): batches of two inputs from
 * several upstream tasks, arriving in any interleaving, come out as pairs
 * in source order (upstream task 0's rows first, then task 1's, ...); what
 * arrives early waits; a pair is not made before its partner has come; the
 * longer input's rest is dropped; every kept batch goes back to its pool. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flowrt.h"
#include "flrt_int.h"

static flrt_pool pool;
static fl_task t;
static fl_zip *z;
static fl_i64 out[64];
static int k;

static void setup(void)
{
    flrt_pool_init(&pool, 8, sizeof(fl_i64));
    memset(&t, 0, sizeof t);
    z = fl_zip_new();
    k = 0;
}

static void teardown(void)
{
    fl_zip_free(z, &t);   /* what is still kept goes back to the pool */
    flrt_pool_fini(&pool);
}

TestSuite(zip, .init = setup, .fini = teardown);

static fl_batch *batch(int input, int from, fl_i64 first, fl_i64 n)
{
    fl_batch *b = flrt_pool_get(&pool);
    b->input = input;
    b->from = from;
    b->n = n;
    for (fl_i64 i = 0; i < n; i++)
        ((fl_i64 *)b->rows)[i] = first + i;
    return b;
}

/* The pairs ready now, appended to out (as a * 1000 + b); their count. */
static int drain(void)
{
    void *a, *b;
    int n = 0;
    while (fl_zip_next(z, &t, &a, &b)) {
        out[k++] = *(fl_i64 *)a * 1000 + *(fl_i64 *)b;
        n++;
    }
    return n;
}

Test(zip, pairs_in_source_order_whatever_the_arrival)
{
    /* input 0: task 0 has 0..3, task 1 has 4..7; input 1: task 0 has 100..101, task 1 102..109 */
    fl_zip_batch(z, batch(0, 1, 4, 4));                 /* task 1 first: it must wait */
    fl_zip_batch(z, batch(1, 1, 102, 8));
    cr_assert_eq(drain(), 0, "nothing before task 0's rows");
    fl_zip_batch(z, batch(1, 0, 100, 2));
    cr_assert_eq(drain(), 0, "input 0 has nothing of task 0 yet");
    fl_zip_batch(z, batch(0, 0, 0, 4));
    cr_assert_eq(drain(), 2, "0-1 with 100-101; input 1's task 0 has not ended");
    fl_zip_end(z, 1, 0);
    cr_assert_eq(drain(), 2, "2-3 with 102-103");
    fl_zip_end(z, 0, 0);
    cr_assert_eq(drain(), 4, "4-7 with 104-107");
    fl_zip_end(z, 0, 1);
    fl_zip_end(z, 1, 1);
    cr_assert_eq(drain(), 0, "108-109 have no partner");
    for (int i = 0; i < 8; i++)
        cr_assert_eq(out[i], (fl_i64)i * 1000 + 100 + i, "pair %d is %lld", i, (long long)out[i]);
}

Test(zip, an_upstream_task_without_rows)
{
    fl_zip_end(z, 0, 0);                                  /* input 0's task 0: nothing */
    fl_zip_batch(z, batch(0, 2, 7, 3));                   /* its task 2 */
    fl_zip_batch(z, batch(1, 0, 50, 3));
    cr_assert_eq(drain(), 0, "input 0's task 1 has not ended");
    fl_zip_end(z, 0, 1);
    cr_assert_eq(drain(), 3);
    cr_assert_eq(out[0], 7 * 1000 + 50);
    cr_assert_eq(out[2], 9 * 1000 + 52);
}
