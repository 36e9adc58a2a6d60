/* SPDX-License-Identifier: BSD-3-Clause */
/** @file
 * Symbol export macro of libmaestro: the library builds with hidden visibility. */
#ifndef MAESTRO_EXPORT_H
#define MAESTRO_EXPORT_H
/** Marks a function of the public interface (default visibility). */
#define MSTRO_API __attribute__((visibility("default")))
#endif
