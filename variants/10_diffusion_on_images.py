"""Plausible wrong answers and correct answers in other styles for lesson 10_diffusion_on_images.

Each WRONG variant must lose points in its ``caught_by`` test cells; each RIGHT variant must earn
full marks. Check with ``aecourse variants 10_diffusion_on_images``.
"""

# --- Exercise 1: time_embedding ----------------------------------------------------------------

_EMBEDDING = '''
def time_embedding(t, dim):
    half = dim // 2
    i = keras.ops.arange(half, dtype="float32")
    frequencies = keras.ops.power(10000.0, {exponent})
    angles = keras.ops.expand_dims(keras.ops.cast(t, "float32"), -1) * frequencies
    {result}
'''


def _embedding(exponent="-2.0 * i / dim",
               result="return keras.ops.concatenate([keras.ops.sin(angles), "
                      "keras.ops.cos(angles)], axis=-1)"):
    return _EMBEDDING.format(exponent=exponent, result=result)


WRONG = {
    "embedding_cos_first": {
        "why": "the cosines in the first half and the sines in the second",
        "cells": {"ex1_time_embedding": _embedding(
            result="return keras.ops.concatenate([keras.ops.cos(angles), keras.ops.sin(angles)], "
                   "axis=-1)")},
        "caught_by": ["test_ex1_embedding_values", "test_ex1_embedding_tensors"],
    },
    "embedding_interleaved": {
        "why": "sin, cos, sin, cos, ... (the Transformer's layout) where the lesson asks for "
               "halves",
        "cells": {"ex1_time_embedding": _embedding(
            result="return keras.ops.reshape(keras.ops.stack([keras.ops.sin(angles), "
                   "keras.ops.cos(angles)], axis=-1), tuple(angles.shape[:-1]) + (dim,))")},
        "caught_by": ["test_ex1_embedding_values", "test_ex1_embedding_tensors"],
    },
    "embedding_frequencies_i_over_dim": {
        "why": "frequencies 10000^(-i/dim) instead of 10000^(-2i/dim)",
        "cells": {"ex1_time_embedding": _embedding(exponent="-i / dim")},
        "caught_by": ["test_ex1_embedding_values", "test_ex1_embedding_tensors"],
    },
    "embedding_t_not_cast": {
        "why": "t is not cast to float: integer steps cannot be multiplied by float frequencies",
        "cells": {"ex1_time_embedding": '''
def time_embedding(t, dim):
    half = dim // 2
    frequencies = tf.pow(10000.0, -2.0 * tf.range(half, dtype=tf.float32) / dim)
    angles = tf.expand_dims(t, -1) * frequencies
    return tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)
'''},
        "caught_by": ["test_ex1_embedding_values", "test_ex1_embedding_tensors"],
    },
    "embedding_flattened": {
        "why": "the steps are flattened: shape (n, dim) whatever the shape of t, and a scalar t "
               "gives (1, dim)",
        "cells": {"ex1_time_embedding": _embedding().replace(
            "keras.ops.cast(t, \"float32\")",
            "keras.ops.reshape(keras.ops.cast(t, \"float32\"), (-1,))")},
        "caught_by": ["test_ex1_embedding_values"],
    },
    "embedding_numpy": {
        "why": "written with NumPy: right values, but it cannot run inside the U-Net's graph",
        "cells": {"ex1_time_embedding": '''
def time_embedding(t, dim):
    w = 10000.0 ** (-2.0 * np.arange(dim // 2) / dim)
    angles = np.asarray(t, dtype=np.float32)[..., None] * w
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=-1).astype(np.float32)
'''},
        "caught_by": ["test_ex1_embedding_tensors"],
    },
}

# --- Exercise 2: cosine_schedule ---------------------------------------------------------------

_SCHEDULE = '''
def cosine_schedule(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1, dtype=np.float64)
    f = np.cos((u / T + {offset}) / (1 + {offset}) * np.pi / 2) ** 2
    betas = {betas}
    alpha_bars = {alpha_bars}
    return betas, alpha_bars
'''


def _schedule(offset="s", betas="np.minimum(1 - f[1:] / f[:-1], max_beta)",
              alpha_bars="np.cumprod(1 - betas)"):
    return _SCHEDULE.format(offset=offset, betas=betas, alpha_bars=alpha_bars)


WRONG.update({
    "schedule_no_offset": {
        "why": "s ignored (s = 0): the first beta is vanishingly small",
        "cells": {"ex2_cosine_schedule": _schedule(offset="0")},
        "caught_by": ["test_ex2_schedule_values"],
    },
    "schedule_alpha_bar_not_normalised": {
        "why": "alpha_bar taken as f(t + 1) itself, not f(t + 1) / f(0)",
        "cells": {"ex2_cosine_schedule": _schedule(alpha_bars="f[1:]")},
        "caught_by": ["test_ex2_schedule_values", "test_ex2_schedule_shape"],
    },
    "schedule_no_clip": {
        "why": "betas not clipped: the last beta is 1 and the last alpha_bar 0",
        "cells": {"ex2_cosine_schedule": _schedule(betas="1 - f[1:] / f[:-1]")},
        "caught_by": ["test_ex2_schedule_values", "test_ex2_schedule_shape"],
    },
    "schedule_alpha_bar_off_by_one": {
        "why": "alpha_bars[t] = f(t) / f(0): one step late, alpha_bars[0] = 1",
        "cells": {"ex2_cosine_schedule": _schedule(alpha_bars="f[:-1] / f[0]")},
        "caught_by": ["test_ex2_schedule_values", "test_ex2_schedule_shape"],
    },
    "schedule_alpha_bar_before_clip": {
        "why": "alpha_bars = f(t + 1) / f(0) from the unclipped ratios: the last one is 0, not "
               "the cumulative product of the clipped betas",
        "cells": {"ex2_cosine_schedule": _schedule(alpha_bars="f[1:] / f[0]")},
        "caught_by": ["test_ex2_schedule_values", "test_ex2_schedule_shape"],
    },
    "schedule_linear": {
        "why": "lesson 1's linear schedule instead of the cosine one",
        "cells": {"ex2_cosine_schedule": '''
def cosine_schedule(T, s=0.008, max_beta=0.999):
    betas = np.linspace(1e-4, 0.02, T)
    return betas, np.cumprod(1 - betas)
'''},
        "caught_by": ["test_ex2_schedule_values", "test_ex2_schedule_shape"],
    },
})

# --- Exercise 3: train_step --------------------------------------------------------------------

_TRAIN_STEP = '''
def train_step(model, optimizer, x0, alpha_bars, t=None, eps=None):
    x0 = tf.convert_to_tensor(x0, dtype=tf.float32)
    alpha_bars = tf.convert_to_tensor(alpha_bars, dtype=tf.float32)
    batch = tf.shape(x0)[0]
    if t is None:
        t = {draw_t}
    if eps is None:
        eps = tf.random.normal(tf.shape(x0))
    t = tf.convert_to_tensor(t)
    eps = tf.convert_to_tensor(eps, dtype=tf.float32)
    a = tf.gather(alpha_bars, t)
    a = tf.reshape(a, tf.concat([[batch], tf.ones([tf.rank(x0) - 1], tf.int32)], axis=0))
    x_t = {x_t}
    with tf.GradientTape() as tape:
        loss = {loss}
    grads = tape.gradient(loss, model.trainable_variables)
    {apply}
    return loss
'''


def _train_step(draw_t="tf.random.uniform([batch], 0, tf.shape(alpha_bars)[0], dtype=tf.int32)",
                x_t="tf.sqrt(a) * x0 + tf.sqrt(1 - a) * eps",
                loss="tf.reduce_mean(tf.square(eps - model([x_t, t], training=True)))",
                apply="optimizer.apply_gradients(zip(grads, model.trainable_variables))"):
    return _TRAIN_STEP.format(draw_t=draw_t, x_t=x_t, loss=loss, apply=apply)


WRONG.update({
    "train_predicts_x0": {
        "why": "the loss compares the prediction with the clean image, not with the noise",
        "cells": {"ex3_train_step": _train_step(
            loss="tf.reduce_mean(tf.square(x0 - model([x_t, t], training=True)))")},
        "caught_by": ["test_ex3_loss_value", "test_ex3_gradient_step"],
    },
    "train_no_sqrt": {
        "why": "x_t = alpha_bar x0 + (1 - alpha_bar) eps: the square roots are missing",
        "cells": {"ex3_train_step": _train_step(x_t="a * x0 + (1 - a) * eps")},
        "caught_by": ["test_ex3_loss_value", "test_ex3_gradient_step"],
    },
    "train_t_from_1_to_T": {
        "why": "t drawn from 1 ... T (the paper's 1-based steps) instead of 0 ... T - 1",
        "cells": {"ex3_train_step": _train_step(
            draw_t="tf.random.uniform([batch], 1, tf.shape(alpha_bars)[0] + 1, dtype=tf.int32)")},
        "caught_by": ["test_ex3_sampling"],
    },
    "train_loss_summed": {
        "why": "the squared errors are summed, not averaged",
        "cells": {"ex3_train_step": _train_step(
            loss="tf.reduce_sum(tf.square(eps - model([x_t, t], training=True)))")},
        "caught_by": ["test_ex3_loss_value", "test_ex3_gradient_step"],
    },
    "train_no_update": {
        "why": "the gradients are computed but never applied",
        "cells": {"ex3_train_step": _train_step(apply="pass")},
        "caught_by": ["test_ex3_gradient_step"],
    },
    "train_one_t_for_all": {
        "why": "one step drawn for the whole batch instead of one per example",
        "cells": {"ex3_train_step": _train_step(
            draw_t="tf.fill([batch], tf.random.uniform([], 0, tf.shape(alpha_bars)[0], "
                   "dtype=tf.int32))")},
        "caught_by": ["test_ex3_sampling"],
    },
})

# --- Exercise 4: ddim_step ---------------------------------------------------------------------

_DDIM = '''
def ddim_step(x_t, eps_pred, t, t_prev, alpha_bars):
    x_t = np.asarray(x_t, dtype=np.float64)
    eps_pred = np.asarray(eps_pred, dtype=np.float64)
    a_t = float(alpha_bars[t])
    a_prev = {a_prev}
    x0_pred = {x0_pred}
    return {result}
'''


def _ddim(a_prev="float(alpha_bars[t_prev]) if t_prev >= 0 else 1.0",
          x0_pred="np.clip((x_t - np.sqrt(1 - a_t) * eps_pred) / np.sqrt(a_t), -1, 1)",
          result="np.sqrt(a_prev) * x0_pred + np.sqrt(1 - a_prev) * eps_pred"):
    return _DDIM.format(a_prev=a_prev, x0_pred=x0_pred, result=result)


WRONG.update({
    "ddim_alpha_not_alpha_bar": {
        "why": "the step's own alpha_t = alpha_bar_t / alpha_bar_prev used to predict x0 instead "
               "of alpha_bar_t",
        "cells": {"ex4_ddim_step": _ddim(
            x0_pred="np.clip((x_t - np.sqrt(1 - a_t / a_prev) * eps_pred) / np.sqrt(a_t / a_prev), "
                    "-1, 1)")},
        "caught_by": ["test_ex4_ddim_values", "test_ex4_ddim_clip"],
    },
    "ddim_last_step_wraps": {
        "why": "alpha_bars[t_prev] even for t_prev = -1, which is alpha_bars[T - 1], not 1",
        "cells": {"ex4_ddim_step": _ddim(a_prev="float(alpha_bars[t_prev])")},
        "caught_by": ["test_ex4_ddim_last_step", "test_ex4_ddim_clip"],
    },
    "ddim_eta_one_noise": {
        "why": "fresh noise added at each step (eta != 0): not deterministic",
        "cells": {"ex4_ddim_step": _ddim(
            result="np.sqrt(a_prev) * x0_pred + np.sqrt(1 - a_prev) * eps_pred "
                   "+ 0.1 * np.sqrt(1 - a_prev) * np.random.standard_normal(x_t.shape)")},
        "caught_by": ["test_ex4_ddim_values"],
    },
    "ddim_sign_error": {
        "why": "x0_pred = (x_t + sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)",
        "cells": {"ex4_ddim_step": _ddim(
            x0_pred="np.clip((x_t + np.sqrt(1 - a_t) * eps_pred) / np.sqrt(a_t), -1, 1)")},
        "caught_by": ["test_ex4_ddim_values", "test_ex4_ddim_last_step"],
    },
    "ddim_no_clip": {
        "why": "x0_pred not clipped to [-1, 1]",
        "cells": {"ex4_ddim_step": _ddim(
            x0_pred="(x_t - np.sqrt(1 - a_t) * eps_pred) / np.sqrt(a_t)")},
        "caught_by": ["test_ex4_ddim_clip"],
    },
    "ddim_returns_x0": {
        "why": "returns the predicted x0 at every step, as if every step were the last",
        "cells": {"ex4_ddim_step": _ddim(result="x0_pred")},
        "caught_by": ["test_ex4_ddim_values"],
    },
})

# --- Right answers in other styles -------------------------------------------------------------

RIGHT = {
    "tf_everywhere": {
        "why": "TensorFlow operations throughout, and a schedule returned as tensors",
        "cells": {
            "ex1_time_embedding": '''
def time_embedding(t, dim):
    half = dim // 2
    frequencies = tf.exp(-tf.math.log(10000.0) * 2.0 * tf.range(half, dtype=tf.float32) / dim)
    angles = tf.cast(t, tf.float32)[..., tf.newaxis] * frequencies
    return tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)
''',
            "ex2_cosine_schedule": '''
def cosine_schedule(T, s=0.008, max_beta=0.999):
    u = tf.range(T + 1, dtype=tf.float64)
    f = tf.cos((u / T + s) / (1 + s) * np.pi / 2) ** 2
    betas = tf.minimum(1 - f[1:] / f[:-1], max_beta)
    return betas, tf.math.cumprod(1 - betas)
''',
            "ex4_ddim_step": '''
def ddim_step(x_t, eps_pred, t, t_prev, alpha_bars):
    x_t = tf.convert_to_tensor(x_t, tf.float64)
    eps_pred = tf.convert_to_tensor(eps_pred, tf.float64)
    alpha_bars = tf.convert_to_tensor(alpha_bars, tf.float64)
    a_t = alpha_bars[t]
    a_prev = alpha_bars[t_prev] if t_prev >= 0 else tf.constant(1.0, tf.float64)
    x0_pred = tf.clip_by_value((x_t - tf.sqrt(1 - a_t) * eps_pred) / tf.sqrt(a_t), -1.0, 1.0)
    return tf.sqrt(a_prev) * x0_pred + tf.sqrt(1 - a_prev) * eps_pred
''',
        },
    },
    "keras_ops_and_loops": {
        "why": "keras.ops and keras.random, optimizer.apply, a schedule built in a Python loop, "
               "the embedding's halves written out one frequency at a time, a DDIM step in "
               "float32",
        "cells": {
            "ex1_time_embedding": '''
import math


def time_embedding(t, dim):
    t = keras.ops.cast(t, "float32")
    sines, cosines = [], []
    for i in range(dim // 2):
        w = math.exp(-math.log(10000.0) * 2 * i / dim)
        sines.append(keras.ops.sin(t * w))
        cosines.append(keras.ops.cos(t * w))
    return keras.ops.stack(sines + cosines, axis=-1)
''',
            "ex2_cosine_schedule": '''
import math


def cosine_schedule(T, s=0.008, max_beta=0.999):
    def f(u):
        return math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2

    betas, alpha_bars, product = [], [], 1.0
    for t in range(T):
        beta = min(1 - f(t + 1) / f(t), max_beta)
        product *= 1 - beta
        betas.append(beta)
        alpha_bars.append(product)
    return np.array(betas), np.array(alpha_bars)
''',
            "ex3_train_step": '''
def train_step(model, optimizer, x0, alpha_bars, t=None, eps=None):
    x0 = keras.ops.convert_to_tensor(x0, dtype="float32")
    T = keras.ops.shape(alpha_bars)[0]
    if t is None:
        t = keras.random.randint((keras.ops.shape(x0)[0],), 0, T)
    if eps is None:
        eps = keras.random.normal(keras.ops.shape(x0))
    a = keras.ops.take(keras.ops.convert_to_tensor(alpha_bars, dtype="float32"), t)
    a = keras.ops.reshape(a, (-1,) + (1,) * (len(x0.shape) - 1))
    x_t = keras.ops.sqrt(a) * x0 + keras.ops.sqrt(1.0 - a) * eps
    with tf.GradientTape() as tape:
        prediction = model([x_t, t], training=True)
        loss = keras.ops.mean(keras.ops.square(prediction - eps))
    optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
    return loss
''',
            "ex4_ddim_step": '''
def ddim_step(x_t, eps_pred, t, t_prev, alpha_bars):
    x_t = keras.ops.convert_to_tensor(x_t, "float32")
    eps_pred = keras.ops.convert_to_tensor(eps_pred, "float32")
    a_t = float(alpha_bars[t])
    a_prev = 1.0 if t_prev == -1 else float(alpha_bars[t_prev])
    x0_pred = (x_t - keras.ops.sqrt(1.0 - a_t) * eps_pred) / keras.ops.sqrt(a_t)
    x0_pred = keras.ops.clip(x0_pred, -1.0, 1.0)
    return keras.ops.sqrt(a_prev) * x0_pred + keras.ops.sqrt(1.0 - a_prev) * eps_pred
''',
        },
    },
    "numpy_draws": {
        "why": "t and eps drawn with NumPy when not given (the demo always gives them); the "
               "loss with keras.losses.MeanSquaredError",
        "cells": {
            "ex3_train_step": '''
def train_step(model, optimizer, x0, alpha_bars, t=None, eps=None):
    batch = np.shape(x0)[0]
    if t is None:
        t = np.random.randint(0, len(alpha_bars), size=batch)
    if eps is None:
        eps = np.random.standard_normal(np.shape(x0)).astype("float32")
    x0 = tf.cast(x0, tf.float32)
    eps = tf.cast(eps, tf.float32)
    a = tf.cast(tf.gather(alpha_bars, t), tf.float32)
    while len(a.shape) < len(x0.shape):
        a = a[..., None]
    x_t = tf.sqrt(a) * x0 + tf.sqrt(1 - a) * eps
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(eps, model([x_t, t], training=True))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss
''',
        },
    },
}
