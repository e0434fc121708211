"""Plausible wrong answers and correct answers in other styles for lesson 01_generative_models.

Each WRONG variant must lose points in its ``caught_by`` test cells; each RIGHT variant must earn
full marks. Check with ``aecourse variants 01_generative_models``.
"""

# --- Exercise 1: build_autoencoder -------------------------------------------------------------

_AE = '''
def build_autoencoder(coding_size=32):
    encoder = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense({enc_units}, activation={enc_act}),
    ])
    decoder = keras.Sequential([
        keras.Input(shape=({enc_units},)),
        keras.layers.Dense(28 * 28, activation={dec_act}),
        keras.layers.Reshape((28, 28)),
    ])
    autoencoder = keras.Sequential([encoder, decoder])
    return encoder, decoder, autoencoder
'''


def _ae(enc_units="coding_size", enc_act='"relu"', dec_act='"sigmoid"'):
    return _AE.format(enc_units=enc_units, enc_act=enc_act, dec_act=dec_act)


WRONG = {
    "ae_linear_decoder": {
        "why": "no sigmoid on the decoder's output: pixels are not squashed into [0, 1]",
        "cells": {"ex1_autoencoder": _ae(dec_act="None")},
        "caught_by": ["test_ex1_autoencoder_layers"],
    },
    "ae_fixed_coding_size": {
        "why": "coding_size ignored: always 32 units",
        "cells": {"ex1_autoencoder": _ae(enc_units="32")},
        "caught_by": ["test_ex1_autoencoder_shapes", "test_ex1_autoencoder_layers"],
    },
    "ae_fresh_layers": {
        "why": "the autoencoder is built from new layers, so training it does not train the "
               "encoder and decoder returned",
        "cells": {"ex1_autoencoder": '''
def build_autoencoder(coding_size=32):
    encoder = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                                keras.layers.Dense(coding_size, activation="relu")])
    decoder = keras.Sequential([keras.Input(shape=(coding_size,)),
                                keras.layers.Dense(784, activation="sigmoid"),
                                keras.layers.Reshape((28, 28))])
    autoencoder = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(coding_size, activation="relu"),
        keras.layers.Dense(784, activation="sigmoid"),
        keras.layers.Reshape((28, 28)),
    ])
    return encoder, decoder, autoencoder
'''},
        "caught_by": ["test_ex1_autoencoder_shapes"],
    },
}

# --- Exercise 2: discriminator_loss, generator_loss ----------------------------------------------

_GEN_LOSS_OK = '''

def generator_loss(fake_logits):
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    return bce(keras.ops.ones_like(fake_logits), fake_logits)
'''

WRONG.update({
    "gan_probabilities_not_logits": {
        "why": "BinaryCrossentropy() without from_logits=True: the logits are read as "
               "probabilities (and clipped)",
        "cells": {"ex2_gan_losses": '''
def discriminator_loss(real_logits, fake_logits):
    bce = keras.losses.BinaryCrossentropy()
    return (bce(keras.ops.ones_like(real_logits), real_logits)
            + bce(keras.ops.zeros_like(fake_logits), fake_logits))


def generator_loss(fake_logits):
    bce = keras.losses.BinaryCrossentropy()
    return bce(keras.ops.ones_like(fake_logits), fake_logits)
'''},
        "caught_by": ["test_ex2_discriminator_loss", "test_ex2_generator_loss"],
    },
    "gan_one_mean_over_both_batches": {
        "why": "one mean over the concatenated real and fake logits instead of the sum of two "
               "means",
        "cells": {"ex2_gan_losses": '''
def discriminator_loss(real_logits, fake_logits):
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    logits = keras.ops.concatenate([real_logits, fake_logits], axis=0)
    labels = keras.ops.concatenate([keras.ops.ones_like(real_logits),
                                    keras.ops.zeros_like(fake_logits)], axis=0)
    return bce(labels, logits)
''' + _GEN_LOSS_OK},
        "caught_by": ["test_ex2_discriminator_loss"],
    },
    "gan_numpy_losses": {
        "why": "the right numbers computed with NumPy: no gradient reaches the networks",
        "cells": {"ex2_gan_losses": '''
def discriminator_loss(real_logits, fake_logits):
    real_logits, fake_logits = np.asarray(real_logits), np.asarray(fake_logits)
    return np.logaddexp(0, -real_logits).mean() + np.logaddexp(0, fake_logits).mean()


def generator_loss(fake_logits):
    return np.logaddexp(0, -np.asarray(fake_logits)).mean()
'''},
        "caught_by": ["test_ex2_discriminator_loss", "test_ex2_generator_loss"],
    },
})

# --- Exercise 3: discriminator_step, generator_step ----------------------------------------------

_D_STEP_OK = '''
def discriminator_step(generator, discriminator, d_optimizer, real, z):
    fake = generator(z, training=True)
    with tf.GradientTape() as tape:
        loss = discriminator_loss(discriminator(real, training=True),
                                  discriminator(fake, training=True))
    grads = tape.gradient(loss, discriminator.trainable_variables)
    d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))
    return loss

'''
_G_STEP_OK = '''

def generator_step(generator, discriminator, g_optimizer, z):
    with tf.GradientTape() as tape:
        loss = generator_loss(discriminator(generator(z, training=True), training=True))
    grads = tape.gradient(loss, generator.trainable_variables)
    g_optimizer.apply_gradients(zip(grads, generator.trainable_variables))
    return loss
'''

WRONG.update({
    "g_step_updates_discriminator_too": {
        "why": "the generator step also updates the discriminator it should only look through",
        "cells": {"ex3_gan_steps": _D_STEP_OK + '''
def generator_step(generator, discriminator, g_optimizer, z):
    variables = generator.trainable_variables + discriminator.trainable_variables
    with tf.GradientTape() as tape:
        loss = generator_loss(discriminator(generator(z, training=True), training=True))
    grads = tape.gradient(loss, variables)
    g_optimizer.apply_gradients(zip(grads, variables))
    return loss
'''},
        "caught_by": ["test_ex3_generator_step"],
    },
    "d_step_returns_loss_after_update": {
        "why": "returns the loss recomputed after the update",
        "cells": {"ex3_gan_steps": '''
def discriminator_step(generator, discriminator, d_optimizer, real, z):
    fake = generator(z, training=True)
    with tf.GradientTape() as tape:
        loss = discriminator_loss(discriminator(real, training=True),
                                  discriminator(fake, training=True))
    grads = tape.gradient(loss, discriminator.trainable_variables)
    d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))
    return discriminator_loss(discriminator(real), discriminator(fake))
''' + _G_STEP_OK},
        "caught_by": ["test_ex3_discriminator_step"],
    },
    "steps_make_their_own_optimizer": {
        "why": "a new SGD optimizer in each step instead of the one given (right numbers with "
               "plain SGD at the same rate, but the given optimizer never steps)",
        "cells": {"ex3_gan_steps": '''
def discriminator_step(generator, discriminator, d_optimizer, real, z):
    fake = generator(z, training=True)
    with tf.GradientTape() as tape:
        loss = discriminator_loss(discriminator(real, training=True),
                                  discriminator(fake, training=True))
    grads = tape.gradient(loss, discriminator.trainable_variables)
    keras.optimizers.SGD(learning_rate=0.1).apply_gradients(
        zip(grads, discriminator.trainable_variables))
    return loss


def generator_step(generator, discriminator, g_optimizer, z):
    with tf.GradientTape() as tape:
        loss = generator_loss(discriminator(generator(z, training=True), training=True))
    grads = tape.gradient(loss, generator.trainable_variables)
    keras.optimizers.SGD(learning_rate=0.1).apply_gradients(
        zip(grads, generator.trainable_variables))
    return loss
'''},
        "caught_by": ["test_ex3_discriminator_step", "test_ex3_generator_step"],
    },
    "g_step_freezes_discriminator_for_good": {
        "why": "sets discriminator.trainable = False (the textbook's compile-time trick) and "
               "never sets it back, so the discriminator stops learning",
        "cells": {"ex3_gan_steps": _D_STEP_OK + '''
def generator_step(generator, discriminator, g_optimizer, z):
    discriminator.trainable = False
    with tf.GradientTape() as tape:
        loss = generator_loss(discriminator(generator(z, training=True), training=True))
    grads = tape.gradient(loss, generator.trainable_variables)
    g_optimizer.apply_gradients(zip(grads, generator.trainable_variables))
    return loss
'''},
        "caught_by": ["test_ex3_generator_step"],
    },
})

# --- Exercise 4: linear_beta_schedule, alpha_bars_from_betas ------------------------------------

_ALPHA_BAR_OK = '''

def alpha_bars_from_betas(betas):
    return np.cumprod(1.0 - np.asarray(betas, dtype=np.float64))
'''
_BETAS_OK = '''
def linear_beta_schedule(T=1000, beta_start=1e-4, beta_end=0.02):
    return np.linspace(beta_start, beta_end, T)

'''

WRONG.update({
    "betas_arange": {
        "why": "np.arange with step (end - start) / T: evenly spaced but beta_end is never reached",
        "cells": {"ex4_noise_schedule": '''
def linear_beta_schedule(T=1000, beta_start=1e-4, beta_end=0.02):
    return np.arange(beta_start, beta_end, (beta_end - beta_start) / T)[:T]
''' + _ALPHA_BAR_OK},
        "caught_by": ["test_ex4_betas"],
    },
    "alpha_bar_from_betas_not_alphas": {
        "why": "the cumulative product of beta instead of alpha = 1 - beta",
        "cells": {"ex4_noise_schedule": _BETAS_OK + '''
def alpha_bars_from_betas(betas):
    return np.cumprod(betas)
'''},
        "caught_by": ["test_ex4_alpha_bars"],
    },
    "alpha_bar_shifted": {
        "why": "an exclusive cumulative product: element t stops at index t - 1",
        "cells": {"ex4_noise_schedule": _BETAS_OK + '''
def alpha_bars_from_betas(betas):
    alphas = 1.0 - np.asarray(betas)
    return np.cumprod(np.concatenate([[1.0], alphas[:-1]]))
'''},
        "caught_by": ["test_ex4_alpha_bars"],
    },
})

# --- Exercise 5: q_sample ------------------------------------------------------------------------

WRONG.update({
    "q_sample_no_sqrt": {
        "why": "alpha_bar * x0 + (1 - alpha_bar) * eps: the square roots are missing",
        "cells": {"ex5_q_sample": '''
def q_sample(x0, t, eps, alpha_bar):
    a = np.asarray(alpha_bar)[t].reshape((-1,) + (1,) * (np.ndim(x0) - 1))
    return a * x0 + (1 - a) * eps
'''},
        "caught_by": ["test_ex5_q_sample_values", "test_ex5_q_sample_shapes"],
    },
    "q_sample_one_t_for_all": {
        "why": "the first example's step used for the whole batch",
        "cells": {"ex5_q_sample": '''
def q_sample(x0, t, eps, alpha_bar):
    a = alpha_bar[t[0]]
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * eps
'''},
        "caught_by": ["test_ex5_q_sample_values"],
    },
    "q_sample_2d_only": {
        "why": "alpha_bar[t] reshaped to (batch, 1): only works for flat vectors",
        "cells": {"ex5_q_sample": '''
def q_sample(x0, t, eps, alpha_bar):
    a = np.asarray(alpha_bar)[t].reshape(-1, 1)
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * eps
'''},
        "caught_by": ["test_ex5_q_sample_values", "test_ex5_q_sample_shapes"],
    },
})

# --- Exercise 6: ddpm_loss -----------------------------------------------------------------------

WRONG.update({
    "ddpm_loss_per_example_sum": {
        "why": "sums over the pixels of each example, then averages over the batch",
        "cells": {"ex6_ddpm_loss": '''
def ddpm_loss(denoiser, x0, t, eps, alpha_bar):
    x_t = q_sample(x0, t, eps, alpha_bar)
    err = keras.ops.square(keras.ops.convert_to_tensor(eps) - denoiser(x_t, t))
    return keras.ops.mean(keras.ops.sum(keras.ops.reshape(err, (len(x0), -1)), axis=1))
'''},
        "caught_by": ["test_ex6_ddpm_loss_values", "test_ex6_ddpm_loss_gradients"],
    },
    "ddpm_loss_denoises_x0": {
        "why": "calls the denoiser on the clean x0 instead of the noised x_t",
        "cells": {"ex6_ddpm_loss": '''
def ddpm_loss(denoiser, x0, t, eps, alpha_bar):
    eps_pred = denoiser(x0, t)
    return keras.ops.mean(keras.ops.square(keras.ops.convert_to_tensor(eps) - eps_pred))
'''},
        "caught_by": ["test_ex6_ddpm_loss_values", "test_ex6_ddpm_loss_gradients"],
    },
    "ddpm_loss_numpy": {
        "why": "computes the mean with NumPy, which cuts the gradient",
        "cells": {"ex6_ddpm_loss": '''
def ddpm_loss(denoiser, x0, t, eps, alpha_bar):
    x_t = q_sample(x0, t, eps, alpha_bar)
    return np.mean((np.asarray(eps) - np.asarray(denoiser(x_t, t))) ** 2)
'''},
        "caught_by": ["test_ex6_ddpm_loss_gradients"],
    },
})

# --- Exercise 7: p_sample ------------------------------------------------------------------------

_P_SAMPLE = '''
def p_sample(denoiser, x_t, t, z, betas, alpha_bar):
    x_t = np.asarray(x_t)
    beta, a_bar = float(betas[t]), float(alpha_bar[t])
    eps_pred = np.asarray(denoiser(x_t, np.full(len(x_t), t)))
    mean = {mean}
    {noise}
'''
_MEAN_OK = "(x_t - beta / np.sqrt(1.0 - a_bar) * eps_pred) / np.sqrt(1.0 - beta)"
_NOISE_OK = "return mean if t == 0 else mean + np.sqrt(beta) * np.asarray(z)"


def _p(mean=_MEAN_OK, noise=_NOISE_OK):
    return _P_SAMPLE.format(mean=mean, noise=noise)


WRONG.update({
    "p_sample_alpha_bar_scale": {
        "why": "1 / sqrt(alpha_bar_t) in front instead of 1 / sqrt(alpha_t)",
        "cells": {"ex7_p_sample": _p(
            mean="(x_t - beta / np.sqrt(1.0 - a_bar) * eps_pred) / np.sqrt(a_bar)")},
        "caught_by": ["test_ex7_p_sample_values", "test_ex7_p_sample_last_step"],
    },
    "p_sample_sigma_is_beta": {
        "why": "sigma_t = beta_t instead of sqrt(beta_t)",
        "cells": {"ex7_p_sample": _p(
            noise="return mean if t == 0 else mean + beta * np.asarray(z)")},
        "caught_by": ["test_ex7_p_sample_values"],
    },
    "p_sample_noise_at_last_step": {
        "why": "adds sqrt(beta_t) * z at every step, t = 0 included",
        "cells": {"ex7_p_sample": _p(noise="return mean + np.sqrt(beta) * np.asarray(z)")},
        "caught_by": ["test_ex7_p_sample_last_step"],
    },
    "p_sample_scalar_t": {
        "why": "passes the single step t to the denoiser instead of one step per example",
        "cells": {"ex7_p_sample": '''
def p_sample(denoiser, x_t, t, z, betas, alpha_bar):
    beta, a_bar = betas[t], alpha_bar[t]
    eps_pred = np.asarray(denoiser(x_t, t))
    mean = (x_t - beta / np.sqrt(1.0 - a_bar) * eps_pred) / np.sqrt(1.0 - beta)
    return mean if t == 0 else mean + np.sqrt(beta) * z
'''},
        "caught_by": ["test_ex7_p_sample_batching"],
    },
})

# --- Exercise 8: ddpm_sample ---------------------------------------------------------------------

_SAMPLE = '''
def ddpm_sample(denoiser, shape, betas, alpha_bar, seed=None):
    rng = {rng}
    x = {start}
    {z_once}for t in {steps}:
        {z}x = p_sample(denoiser, x, t, z, betas, alpha_bar)
    return x
'''


def _s(rng="np.random.default_rng(seed)", start="rng.standard_normal(shape)", z_once="",
       steps="reversed(range(len(betas)))", z="z = rng.standard_normal(shape)\n        "):
    return _SAMPLE.format(rng=rng, start=start, z_once=z_once, steps=steps, z=z)


WRONG.update({
    "sample_skips_last_step": {
        "why": "range(T - 1, 0, -1) stops before the last step, t = 0",
        "cells": {"ex8_ddpm_sample": _s(steps="range(len(betas) - 1, 0, -1)")},
        "caught_by": ["test_ex8_sample_steps", "test_ex8_sample_perfect_denoiser"],
    },
    "sample_ignores_seed": {
        "why": "an unseeded generator: the seed argument is ignored",
        "cells": {"ex8_ddpm_sample": _s(rng="np.random.default_rng()")},
        "caught_by": ["test_ex8_sample_noise"],
    },
    "sample_same_noise_every_step": {
        "why": "draws z once and reuses it at every step",
        "cells": {"ex8_ddpm_sample": _s(z_once="z = rng.standard_normal(shape)\n    ", z="")},
        "caught_by": ["test_ex8_sample_noise"],
    },
})

# --- Right answers, in the styles students write --------------------------------------------------

RIGHT = {
    "textbook_tf_keras": {
        "why": "the textbook's tf.keras style: input_shape= on first layers (Keras 3 warns), "
               "tf ops and tf.nn losses, the legacy np.random.seed in the sampling loop",
        "cells": {
            "ex1_autoencoder": '''
def build_autoencoder(coding_size=32):
    encoder = tf.keras.Sequential([
        tf.keras.layers.Flatten(input_shape=[28, 28]),
        tf.keras.layers.Dense(coding_size, activation="relu"),
    ])
    decoder = tf.keras.Sequential([
        tf.keras.layers.Dense(28 * 28, activation="sigmoid", input_shape=[coding_size]),
        tf.keras.layers.Reshape([28, 28]),
    ])
    autoencoder = tf.keras.Sequential([encoder, decoder])
    return encoder, decoder, autoencoder
''',
            "ex2_gan_losses": '''
def discriminator_loss(real_logits, fake_logits):
    real = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(real_logits),
                                                   logits=real_logits)
    fake = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(fake_logits),
                                                   logits=fake_logits)
    return tf.reduce_mean(real) + tf.reduce_mean(fake)


def generator_loss(fake_logits):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones_like(fake_logits), logits=fake_logits))
''',
            "ex3_gan_steps": '''
def discriminator_step(generator, discriminator, d_optimizer, real, z):
    with tf.GradientTape() as tape:
        fake = generator(z)
        loss = discriminator_loss(discriminator(real), discriminator(fake))
    grads = tape.gradient(loss, discriminator.trainable_variables)
    d_optimizer.apply_gradients(zip(grads, discriminator.trainable_variables))
    return loss


def generator_step(generator, discriminator, g_optimizer, z):
    discriminator.trainable = False
    with tf.GradientTape() as tape:
        loss = generator_loss(discriminator(generator(z)))
    grads = tape.gradient(loss, generator.trainable_variables)
    g_optimizer.apply_gradients(zip(grads, generator.trainable_variables))
    discriminator.trainable = True
    return loss
''',
            "ex4_noise_schedule": '''
def linear_beta_schedule(T=1000, beta_start=1e-4, beta_end=0.02):
    return tf.linspace(beta_start, beta_end, T)


def alpha_bars_from_betas(betas):
    return tf.math.cumprod(1.0 - tf.cast(betas, tf.float64))
''',
            "ex5_q_sample": '''
def q_sample(x0, t, eps, alpha_bar):
    x0 = tf.convert_to_tensor(x0, tf.float32)
    a = tf.cast(tf.gather(alpha_bar, t), tf.float32)
    a = tf.reshape(a, [-1] + [1] * (len(x0.shape) - 1))
    return tf.sqrt(a) * x0 + tf.sqrt(1.0 - a) * tf.cast(eps, tf.float32)
''',
            "ex6_ddpm_loss": '''
def ddpm_loss(denoiser, x0, t, eps, alpha_bar):
    x_t = q_sample(x0, t, eps, alpha_bar)
    eps_pred = denoiser(x_t, t)
    return tf.reduce_mean(tf.square(tf.cast(eps, tf.float32) - tf.cast(eps_pred, tf.float32)))
''',
            "ex7_p_sample": '''
def p_sample(denoiser, x_t, t, z, betas, alpha_bar):
    x_t = tf.convert_to_tensor(x_t, tf.float32)
    beta = tf.cast(betas[t], tf.float32)
    a_bar = tf.cast(alpha_bar[t], tf.float32)
    eps_pred = tf.cast(denoiser(x_t, tf.fill([tf.shape(x_t)[0]], t)), tf.float32)
    x = (x_t - beta / tf.sqrt(1.0 - a_bar) * eps_pred) / tf.sqrt(1.0 - beta)
    if t > 0:
        x += tf.sqrt(beta) * tf.cast(z, tf.float32)
    return x
''',
            "ex8_ddpm_sample": '''
def ddpm_sample(denoiser, shape, betas, alpha_bar, seed=None):
    if seed is not None:
        np.random.seed(seed)
    x = np.random.randn(*shape)
    for t in reversed(range(len(betas))):
        x = p_sample(denoiser, x, t, np.random.randn(*shape), betas, alpha_bar)
    return x
''',
        },
    },
    "functional_and_formulas": {
        "why": "functional / subclassed Keras models, BCE written as softplus with keras.ops, "
               "the Keras 3 optimizer.apply, loops and explicit broadcasting, the reverse step "
               "through the x0 estimate and the posterior mean, all noise drawn up front",
        "cells": {
            "ex1_autoencoder": '''
class Encoder(keras.Model):
    def __init__(self, coding_size):
        super().__init__()
        self.flatten = keras.layers.Flatten()
        self.dense = keras.layers.Dense(coding_size, activation="relu")

    def call(self, x):
        return self.dense(self.flatten(x))


def build_autoencoder(coding_size=32):
    encoder = Encoder(coding_size)
    codings = keras.Input(shape=(coding_size,))
    pixels = keras.layers.Dense(784, activation="sigmoid")(codings)
    decoder = keras.Model(codings, keras.layers.Reshape((28, 28))(pixels))
    images = keras.Input(shape=(28, 28))
    autoencoder = keras.Model(images, decoder(encoder(images)))
    return encoder, decoder, autoencoder
''',
            "ex2_gan_losses": '''
def discriminator_loss(real_logits, fake_logits):
    return (keras.ops.mean(keras.ops.softplus(-real_logits))
            + keras.ops.mean(keras.ops.softplus(fake_logits)))


def generator_loss(fake_logits):
    return keras.ops.mean(keras.ops.softplus(-fake_logits))
''',
            "ex3_gan_steps": '''
def discriminator_step(generator, discriminator, d_optimizer, real, z):
    fake = generator(z, training=True)
    with tf.GradientTape() as tape:
        real_logits = discriminator(real, training=True)
        fake_logits = discriminator(fake, training=True)
        loss = discriminator_loss(real_logits, fake_logits)
    d_optimizer.apply(tape.gradient(loss, discriminator.trainable_variables),
                      discriminator.trainable_variables)
    return loss


def generator_step(generator, discriminator, g_optimizer, z):
    with tf.GradientTape() as tape:
        fake_logits = discriminator(generator(z, training=True), training=True)
        loss = generator_loss(fake_logits)
    g_optimizer.apply(tape.gradient(loss, generator.trainable_weights),
                      generator.trainable_weights)
    return loss
''',
            "ex4_noise_schedule": '''
def linear_beta_schedule(T=1000, beta_start=1e-4, beta_end=0.02):
    step = (beta_end - beta_start) / (T - 1) if T > 1 else 0.0
    return np.array([beta_start + i * step for i in range(T)])


def alpha_bars_from_betas(betas):
    out, prod = [], 1.0
    for beta in betas:
        prod *= 1.0 - float(beta)
        out.append(prod)
    return np.array(out)
''',
            "ex5_q_sample": '''
def q_sample(x0, t, eps, alpha_bar):
    x0 = np.asarray(x0, dtype=np.float32)
    a = np.asarray(alpha_bar, dtype=np.float32)[np.asarray(t)]
    while a.ndim < x0.ndim:
        a = a[..., None]
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * np.asarray(eps)
''',
            "ex6_ddpm_loss": '''
def ddpm_loss(denoiser, x0, t, eps, alpha_bar):
    x_t = q_sample(x0, t, eps, alpha_bar)
    return keras.losses.MeanSquaredError()(eps, denoiser(x_t, t))
''',
            "ex7_p_sample": '''
def p_sample(denoiser, x_t, t, z, betas, alpha_bar):
    # through the x0 estimate and the posterior mean mu~_t(x_t, x0_hat)
    x_t = np.asarray(x_t, dtype=np.float64)
    beta, a_bar = float(betas[t]), float(alpha_bar[t])
    a_prev = float(alpha_bar[t - 1]) if t > 0 else 1.0
    eps_pred = np.asarray(denoiser(x_t, np.array([t] * x_t.shape[0])), dtype=np.float64)
    x0_hat = (x_t - np.sqrt(1 - a_bar) * eps_pred) / np.sqrt(a_bar)
    mean = (np.sqrt(a_prev) * beta / (1 - a_bar) * x0_hat
            + np.sqrt(1 - beta) * (1 - a_prev) / (1 - a_bar) * x_t)
    sigma = np.sqrt(beta) if t > 0 else 0.0
    return mean + sigma * np.asarray(z)
''',
            "ex8_ddpm_sample": '''
def ddpm_sample(denoiser, shape, betas, alpha_bar, seed=None):
    rng = np.random.default_rng(seed)
    T = len(betas)
    x = rng.normal(size=shape)
    noises = rng.normal(size=(T,) + tuple(shape))
    for t in range(T - 1, -1, -1):
        x = p_sample(denoiser, x, t, noises[t], betas, alpha_bar)
    return np.asarray(x)
''',
        },
    },
}
