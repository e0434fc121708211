"""Wrong and right answers to lesson 7's exercises (see aecourse/variants.py).

Graded with ``aecourse variants 07_variational_autoencoder``: every WRONG answer must lose points
in the test cells named in its ``caught_by``, every RIGHT answer must earn full marks.
"""

# --- Exercise 1: the Sampling layer ----------------------------------------------------------

SAMPLING_HEAD = '''
class Sampling(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator()

    def call(self, inputs):
        mean, log_var = inputs
'''


def sampling(body):
    """The Sampling cell with ``body`` (indented 8 spaces) as the end of ``call``."""
    return SAMPLING_HEAD + "\n".join("        " + line for line in body.strip("\n").splitlines())


# --- Exercise 3: the encoder -----------------------------------------------------------------

ENCODER_TRUNK = '''
def build_variational_encoder(codings_size=10):
    inputs = keras.Input((28, 28))
    h = keras.layers.Flatten()(inputs)
    h = keras.layers.Dense(150, activation="relu")(h)
    h = keras.layers.Dense(100, activation="relu")(h)
'''


def encoder(rest):
    """The encoder cell: the right trunk, then ``rest`` (indented 4 spaces)."""
    return ENCODER_TRUNK + "\n".join("    " + line for line in rest.strip("\n").splitlines())


HEADS = '''
codings_mean = keras.layers.Dense(codings_size)(h)
codings_log_var = keras.layers.Dense(codings_size)(h)
'''

# --- Exercise 4: the VAE model ---------------------------------------------------------------

VAE_HEAD = '''
@keras.saving.register_keras_serializable(package="aecourse")
class VariationalAutoencoder(keras.Model):
    def __init__(self, codings_size=10, **kwargs):
        super().__init__(**kwargs)
        self.codings_size = int(codings_size)
        self.encoder = build_variational_encoder(self.codings_size)
        self.decoder = build_decoder(self.codings_size)

    def get_config(self):
        return {**super().get_config(), "codings_size": self.codings_size}

'''


def vae(call):
    """The VAE cell with ``call`` (a whole method, indented 4 spaces)."""
    return VAE_HEAD + "\n".join("    " + line for line in call.strip("\n").splitlines())


# --- Exercise 5: interpolate -----------------------------------------------------------------


def interp(body):
    return ("def interpolate(z_start, z_end, n_steps):\n"
            + "\n".join("    " + line for line in body.strip("\n").splitlines()))


WRONG = {
    # Exercise 1
    "sampling_std_is_variance": {
        "why": "exp(log_var) as the standard deviation (it is the variance)",
        "cells": {"ex1_sampling": sampling('''
eps = keras.random.normal(keras.ops.shape(log_var), seed=self.seed_generator)
return mean + keras.ops.exp(log_var) * eps''')},
        "caught_by": ["test_ex1_statistics", "test_ex1_gradients"],
    },
    "sampling_integer_seed": {
        "why": "keras.random.normal(..., seed=42): the same noise on every call",
        "cells": {"ex1_sampling": sampling('''
eps = keras.random.normal(keras.ops.shape(log_var), seed=42)
return mean + keras.ops.exp(log_var / 2) * eps''')},
        "caught_by": ["test_ex1_randomness"],
    },
    "sampling_numpy_noise": {
        "why": "unseeded NumPy noise: fresh in eager calls, frozen inside fit's traced function",
        "cells": {"ex1_sampling": sampling('''
eps = np.random.normal(size=tuple(log_var.shape)).astype("float32")
return mean + keras.ops.exp(log_var / 2) * eps''')},
        "caught_by": ["test_ex1_randomness", "test_ex3_outputs"],
    },
    "sampling_one_noise_per_dimension": {
        "why": "noise of shape (d,): every image of the batch gets the same eps",
        "cells": {"ex1_sampling": sampling('''
eps = keras.random.normal((keras.ops.shape(log_var)[-1],), seed=self.seed_generator)
return mean + keras.ops.exp(log_var / 2) * eps''')},
        "caught_by": ["test_ex1_randomness", "test_ex1_statistics"],
    },
    "sampling_mean_at_inference": {
        "why": "a Dropout-style switch: returns the mean unless training=True",
        "cells": {"ex1_sampling": '''
class Sampling(keras.layers.Layer):
    def call(self, inputs, training=None):
        mean, log_var = inputs
        if not training:
            return mean
        eps = keras.random.normal(keras.ops.shape(log_var))
        return mean + keras.ops.exp(log_var / 2) * eps'''},
        "caught_by": ["test_ex1_randomness", "test_ex1_statistics"],
    },
    "sampling_uniform_noise": {
        "why": "keras.random.uniform instead of keras.random.normal",
        "cells": {"ex1_sampling": sampling('''
eps = keras.random.uniform(keras.ops.shape(log_var), seed=self.seed_generator)
return mean + keras.ops.exp(log_var / 2) * eps''')},
        "caught_by": ["test_ex1_statistics"],
    },
    # Exercise 2
    "kl_sign_error": {
        "why": "+1/2 instead of -1/2: the latent loss is negative",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    kl = 0.5 * keras.ops.sum(1 + codings_log_var - keras.ops.exp(codings_log_var)
                             - keras.ops.square(codings_mean), axis=-1)
    return keras.ops.mean(kl)'''},
        "caught_by": ["test_ex2_zero_and_positive", "test_ex2_values", "test_ex2_gradient"],
    },
    "kl_sum_over_batch": {
        "why": "sums over the batch instead of averaging",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    return -0.5 * keras.ops.sum(1 + codings_log_var - keras.ops.exp(codings_log_var)
                                - keras.ops.square(codings_mean))'''},
        "caught_by": ["test_ex2_values", "test_ex2_gradient"],
    },
    "kl_mean_over_codings": {
        "why": "averages over the coding dimensions instead of summing (keras.ops.mean of all)",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    return -0.5 * keras.ops.mean(1 + codings_log_var - keras.ops.exp(codings_log_var)
                                 - keras.ops.square(codings_mean))'''},
        "caught_by": ["test_ex2_values", "test_ex2_gradient"],
    },
    "kl_sigma_for_variance": {
        "why": "exp(log_var / 2) (sigma) where the formula has exp(log_var) (sigma^2)",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    kl = -0.5 * keras.ops.sum(1 + codings_log_var - keras.ops.exp(codings_log_var / 2)
                              - keras.ops.square(codings_mean), axis=-1)
    return keras.ops.mean(kl)'''},
        "caught_by": ["test_ex2_values", "test_ex2_gradient"],
    },
    "kl_divided_by_784": {
        "why": "divides by 784 inside the function (the model divides again)",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    kl = -0.5 * keras.ops.sum(1 + codings_log_var - keras.ops.exp(codings_log_var)
                              - keras.ops.square(codings_mean), axis=-1)
    return keras.ops.mean(kl) / 784.0'''},
        "caught_by": ["test_ex2_values", "test_ex2_gradient"],
    },
    "kl_per_instance": {
        "why": "returns the per-instance vector, not its mean over the batch",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    return -0.5 * keras.ops.sum(1 + codings_log_var - keras.ops.exp(codings_log_var)
                                - keras.ops.square(codings_mean), axis=-1)'''},
        "caught_by": ["test_ex2_zero_and_positive", "test_ex2_values"],
    },
    "kl_numpy": {
        "why": "written with NumPy: right values, but no gradient",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    mean, log_var = np.asarray(codings_mean), np.asarray(codings_log_var)
    return np.mean(-0.5 * np.sum(1 + log_var - np.exp(log_var) - mean ** 2, axis=-1))'''},
        "caught_by": ["test_ex2_gradient"],
    },
    # Exercise 3
    "encoder_relu_heads": {
        "why": "ReLU on the mean and log-variance heads",
        "cells": {"ex3_build_encoder": encoder('''
codings_mean = keras.layers.Dense(codings_size, activation="relu")(h)
codings_log_var = keras.layers.Dense(codings_size, activation="relu")(h)
codings = Sampling()([codings_mean, codings_log_var])
return keras.Model(inputs, [codings_mean, codings_log_var, codings])''')},
        "caught_by": ["test_ex3_heads"],
    },
    "encoder_log_var_from_mean": {
        "why": "the log-variance head is stacked on the mean head",
        "cells": {"ex3_build_encoder": encoder('''
codings_mean = keras.layers.Dense(codings_size)(h)
codings_log_var = keras.layers.Dense(codings_size)(codings_mean)
codings = Sampling()([codings_mean, codings_log_var])
return keras.Model(inputs, [codings_mean, codings_log_var, codings])''')},
        "caught_by": ["test_ex3_outputs", "test_ex3_heads"],
    },
    "encoder_no_sampling": {
        "why": "returns the means as the codings (no Sampling layer)",
        "cells": {"ex3_build_encoder": encoder(HEADS + '''
return keras.Model(inputs, [codings_mean, codings_log_var, codings_mean])''')},
        "caught_by": ["test_ex3_sampling", "test_ex4_output"],
    },
    "encoder_sampling_arguments_swapped": {
        "why": "Sampling()([codings_log_var, codings_mean])",
        "cells": {"ex3_build_encoder": encoder(HEADS + '''
codings = Sampling()([codings_log_var, codings_mean])
return keras.Model(inputs, [codings_mean, codings_log_var, codings])''')},
        "caught_by": ["test_ex3_sampling"],
    },
    "encoder_outputs_order": {
        "why": "outputs [codings, codings_mean, codings_log_var]",
        "cells": {"ex3_build_encoder": encoder(HEADS + '''
codings = Sampling()([codings_mean, codings_log_var])
return keras.Model(inputs, [codings, codings_mean, codings_log_var])''')},
        "caught_by": ["test_ex3_heads", "test_ex3_sampling"],
    },
    # Exercise 4
    "vae_no_784": {
        "why": "adds the latent loss without dividing by 784",
        "cells": {"ex4_vae_model": vae('''
def call(self, inputs):
    codings_mean, codings_log_var, codings = self.encoder(inputs)
    self.add_loss(latent_loss(codings_mean, codings_log_var))
    return self.decoder(codings)''')},
        "caught_by": ["test_ex4_latent_loss_added"],
    },
    "vae_decodes_means": {
        "why": "decodes the means instead of the sampled codings",
        "cells": {"ex4_vae_model": vae('''
def call(self, inputs):
    codings_mean, codings_log_var, codings = self.encoder(inputs)
    self.add_loss(latent_loss(codings_mean, codings_log_var) / 784.0)
    return self.decoder(codings_mean)''')},
        "caught_by": ["test_ex4_output"],
    },
    "vae_loss_only_in_training": {
        "why": "adds the latent loss only when training=True (missing from evaluate)",
        "cells": {"ex4_vae_model": vae('''
def call(self, inputs, training=None):
    codings_mean, codings_log_var, codings = self.encoder(inputs)
    if training:
        self.add_loss(latent_loss(codings_mean, codings_log_var) / 784.0)
    return self.decoder(codings)''')},
        "caught_by": ["test_ex4_latent_loss_added"],
    },
    "vae_kl_of_codings": {
        "why": "the latent loss of the sampled codings instead of the means",
        "cells": {"ex4_vae_model": vae('''
def call(self, inputs):
    codings_mean, codings_log_var, codings = self.encoder(inputs)
    self.add_loss(latent_loss(codings, codings_log_var) / 784.0)
    return self.decoder(codings)''')},
        "caught_by": ["test_ex4_latent_loss_added"],
    },
    "vae_adds_reconstruction_too": {
        "why": "also adds the MSE with add_loss, on top of the compiled 'mse'",
        "cells": {"ex4_vae_model": vae('''
def call(self, inputs):
    codings_mean, codings_log_var, codings = self.encoder(inputs)
    reconstructions = self.decoder(codings)
    self.add_loss(keras.ops.mean(keras.ops.square(inputs - reconstructions)))
    self.add_loss(latent_loss(codings_mean, codings_log_var) / 784.0)
    return reconstructions''')},
        "caught_by": ["test_ex4_latent_loss_added"],
    },
    # Exercise 5
    "interpolate_reversed": {
        "why": "goes from z_end to z_start",
        "cells": {"ex5_interpolate": interp('''
t = np.linspace(0, 1, n_steps)[:, None]
return t * z_start + (1 - t) * z_end''')},
        "caught_by": ["test_ex5_endpoints", "test_ex5_values"],
    },
    "interpolate_misses_end": {
        "why": "t = k / n_steps: never reaches z_end (off by one)",
        "cells": {"ex5_interpolate": interp('''
t = (np.arange(n_steps) / n_steps)[:, None]
return z_start + t * (z_end - z_start)''')},
        "caught_by": ["test_ex5_endpoints", "test_ex5_values"],
    },
    "interpolate_transposed": {
        "why": "returns shape (d, n_steps)",
        "cells": {"ex5_interpolate": interp('''
t = np.linspace(0, 1, n_steps)
return np.outer(z_start, 1 - t) + np.outer(z_end, t)''')},
        "caught_by": ["test_ex5_endpoints", "test_ex5_values"],
    },
    "interpolate_fixed_steps": {
        "why": "ignores n_steps (always 9 steps)",
        "cells": {"ex5_interpolate": interp('''
t = np.linspace(0, 1, 9)[:, None]
return z_start + t * (z_end - z_start)''')},
        "caught_by": ["test_ex5_endpoints", "test_ex5_values"],
    },
    "interpolate_slerp": {
        "why": "spherical interpolation: right endpoints, but not the straight line asked for",
        "cells": {"ex5_interpolate": interp('''
a, b = np.asarray(z_start, dtype=float), np.asarray(z_end, dtype=float)
omega = np.arccos(np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1, 1))
t = np.linspace(0, 1, n_steps)[:, None]
return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)''')},
        "caught_by": ["test_ex5_values"],
    },
}

RIGHT = {
    # Exercise 1
    "sampling_textbook": {
        "why": "the textbook's layer: tf.random.normal, tf.exp, no __init__",
        "cells": {"ex1_sampling": '''
class Sampling(tf.keras.layers.Layer):
    def call(self, inputs):
        mean, log_var = inputs
        return tf.random.normal(tf.shape(log_var)) * tf.exp(log_var / 2) + mean'''},
    },
    "sampling_keras_example_style": {
        "why": "explicit (batch, dim) shape, tf.exp(0.5 * log_var), tf.random.normal",
        "cells": {"ex1_sampling": '''
class Sampling(keras.layers.Layer):
    """Uses (z_mean, z_log_var) to sample z."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = tf.shape(z_mean)[0]
        dim = tf.shape(z_mean)[1]
        epsilon = tf.random.normal(shape=(batch, dim))
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon'''},
    },
    "sampling_sqrt_of_variance": {
        "why": "unseeded keras.random.normal and sqrt(exp(log_var))",
        "cells": {"ex1_sampling": sampling('''
sigma = keras.ops.sqrt(keras.ops.exp(log_var))
return mean + sigma * keras.random.normal(keras.ops.shape(mean))''')},
    },
    # Exercise 2
    "kl_textbook": {
        "why": "the textbook's tf.reduce_sum / tf.reduce_mean",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    latent = -0.5 * tf.reduce_sum(
        1 + codings_log_var - tf.exp(codings_log_var) - tf.square(codings_mean), axis=-1)
    return tf.reduce_mean(latent)'''},
    },
    "kl_sigma_form": {
        "why": "0.5 * (sigma^2 + mu^2 - 1 - log sigma^2), summed, then divided by the batch size",
        "cells": {"ex2_latent_loss": '''
def latent_loss(codings_mean, codings_log_var):
    variance = keras.ops.exp(codings_log_var)
    total = 0.5 * keras.ops.sum(variance + codings_mean ** 2 - 1 - codings_log_var)
    return total / keras.ops.cast(keras.ops.shape(codings_mean)[0], total.dtype)'''},
    },
    # Exercise 3
    "encoder_textbook": {
        "why": "the textbook's functional code with tf.keras and shape lists",
        "cells": {"ex3_build_encoder": '''
def build_variational_encoder(codings_size=10):
    inputs = tf.keras.layers.Input(shape=[28, 28])
    Z = tf.keras.layers.Flatten()(inputs)
    Z = tf.keras.layers.Dense(150, activation="relu")(Z)
    Z = tf.keras.layers.Dense(100, activation="relu")(Z)
    codings_mean = tf.keras.layers.Dense(codings_size)(Z)  # mu
    codings_log_var = tf.keras.layers.Dense(codings_size)(Z)  # gamma
    codings = Sampling()([codings_mean, codings_log_var])
    return tf.keras.Model(inputs=[inputs], outputs=[codings_mean, codings_log_var, codings])'''},
    },
    "encoder_sequential_trunk": {
        "why": "a Sequential trunk with input_shape= (a Keras 3 warning), heads in another order",
        "cells": {"ex3_build_encoder": '''
def build_variational_encoder(codings_size=10):
    trunk = keras.Sequential([
        keras.layers.Flatten(input_shape=[28, 28]),
        keras.layers.Dense(150, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
    ])
    log_var_head = keras.layers.Dense(codings_size)
    mean_head = keras.layers.Dense(codings_size)
    images = keras.Input(shape=(28, 28))
    hidden = trunk(images)
    mean, log_var = mean_head(hidden), log_var_head(hidden)
    return keras.Model(images, [mean, log_var, Sampling()([mean, log_var])])'''},
    },
    # Exercise 4
    "vae_inline_kl": {
        "why": "the KL written inline with tf ops, divided by 28 * 28",
        "cells": {"ex4_vae_model": vae('''
def call(self, inputs):
    mean, log_var, codings = self.encoder(inputs)
    kl = -0.5 * tf.reduce_sum(1 + log_var - tf.exp(log_var) - tf.square(mean), axis=-1)
    self.add_loss(tf.reduce_mean(kl) / (28 * 28))
    return self.decoder(codings)''')},
    },
    "vae_passes_training": {
        "why": "passes training on to the encoder and the decoder",
        "cells": {"ex4_vae_model": vae('''
def call(self, inputs, training=None):
    codings_mean, codings_log_var, codings = self.encoder(inputs, training=training)
    self.add_loss(latent_loss(codings_mean, codings_log_var) / 784.0)
    return self.decoder(codings, training=training)''')},
    },
    # Exercise 5
    "interpolate_linspace_arrays": {
        "why": "np.linspace between the two vectors",
        "cells": {"ex5_interpolate": interp('''
return np.linspace(z_start, z_end, n_steps)''')},
    },
    "interpolate_loop": {
        "why": "a list of rows built in a loop",
        "cells": {"ex5_interpolate": interp('''
rows = []
for k in range(n_steps):
    t = k / (n_steps - 1)
    rows.append(z_start + t * (z_end - z_start))
return np.array(rows)''')},
    },
    "interpolate_tensorflow_float32": {
        "why": "tf.linspace in float32, converted back to NumPy",
        "cells": {"ex5_interpolate": interp('''
start = tf.constant(z_start, dtype=tf.float32)
end = tf.constant(z_end, dtype=tf.float32)
t = tf.linspace(0.0, 1.0, n_steps)[:, tf.newaxis]
return ((1.0 - t) * start + t * end).numpy()''')},
    },
}
