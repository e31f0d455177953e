/* images.c - image classification sets from IDX files: Fashion-MNIST. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data.h"
#include "../util/fail.h"

/* Find "<dir>/<base>" or "<dir>/<base>.gz". */
static int find(char *out, size_t n, const char *dir, const char *base)
{
    snprintf(out, n, "%s/%s.gz", dir, base);
    if (access(out, R_OK) == 0) return 1;
    snprintf(out, n, "%s/%s", dir, base);
    return access(out, R_OK) == 0;
}

static int load_set(wu_images *im, const char *dir, const char *img, const char *lab, wu_error *err)
{
    char pi[512], pl[512];
    memset(im, 0, sizeof *im);
    if (!find(pi, sizeof pi, dir, img) || !find(pl, sizeof pl, dir, lab)) {
        return wu_fail(err, WU_EIO, "Fashion-MNIST not found in %.100s (no %s or %s, plain or .gz): "
                       "install it with 'apt-get install dataset-fashion-mnist', or give the "
                       "directory of its IDX files as the data", dir, img, lab);
    }
    wu_idx xi, yi;
    int rc = wu_idx_read(&xi, pi, err);
    if (rc != WU_OK) return rc;
    if ((rc = wu_idx_read(&yi, pl, err)) != WU_OK) {
        wu_idx_free(&xi);
        return rc;
    }
    if (xi.ndim != 3 || yi.ndim != 1 || xi.count != yi.count) {
        rc = wu_fail(err, WU_EIO, "%.100s and %.100s do not describe the same images (shapes %d-d x "
                     "%zu and %d-d x %zu)", pi, pl, xi.ndim, xi.count, yi.ndim, yi.count);
    } else if ((size_t)xi.dims[1] * (size_t)xi.dims[2] > WU_IMAGE_MAX_PIXELS) {
        rc = wu_fail(err, WU_EIO, "%.200s: images of %d x %d pixels are larger than the %zu pixels "
                     "an image may have", pi, xi.dims[1], xi.dims[2], WU_IMAGE_MAX_PIXELS);
    }
    if (rc == WU_OK) {
        /* the classes are the labels that occur: 0 .. the largest (at least two classes) */
        int top = 0;
        for (size_t i = 0; i < yi.count; i++) top = yi.data[i] > top ? yi.data[i] : top;
        im->n = (int)xi.count;
        im->rows = xi.dims[1];
        im->cols = xi.dims[2];
        im->classes = top + 1 > 2 ? top + 1 : 2;
        im->x = malloc(sizeof(float) * xi.count * xi.item);
        im->y = malloc(yi.count);
        if (!im->x || !im->y) {
            wu_images_free(im);
            rc = wu_fail(err, WU_ENOMEM, "out of memory for the images");
        } else {
            for (size_t i = 0; i < xi.count * xi.item; i++) im->x[i] = (float)xi.data[i] / 255.0f;
            memcpy(im->y, yi.data, yi.count);
        }
    }
    wu_idx_free(&xi);
    wu_idx_free(&yi);
    return rc;
}

int wu_fashion_load(wu_images *train, wu_images *test, const char *dir, wu_error *err)
{
    if (!dir) dir = getenv("WU_FASHION_MNIST");
    if (!dir) dir = WU_FASHION_DIR;
    int rc = load_set(train, dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", err);
    if (rc != WU_OK) return rc;
    if (test && (rc = load_set(test, dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", err)) != WU_OK)
        wu_images_free(train);
    return rc;
}

void wu_images_free(wu_images *im)
{
    free(im->x);
    free(im->y);
    memset(im, 0, sizeof *im);
}
