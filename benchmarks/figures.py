"""The figures each lesson teaches, read from the lesson's own run.

Each expression is evaluated in the namespace of the solved notebook after it has run (see
``grading_speed.lessons``), so the models exist once, in the lessons. REFERENCES gives what
each figure is compared with (the textbook, or the lesson's "What you should see" cell).
"""

FIGURES = {
    "02_pca_autoencoder": {
        "decoder plane vs PCA plane: largest principal angle (degrees)":
            "result['max_angle_deg']",
        "encoder columns vs PCA plane: largest principal angle (degrees)": "encoder_angle",
        "reconstruction MSE, autoencoder / PCA": "result['mse_ratio']",
    },
    "03_stacked_autoencoder": {
        "stacked autoencoder: validation MSE": "val_mse",
    },
    "04_tying_weights": {
        "tied autoencoder: validation MSE": "tied_val_mse",
        "untied autoencoder: validation MSE": "untied_val_mse",
        "tied autoencoder: parameters": "tied_ae.count_params()",
    },
    "05_greedy_layerwise": {
        "greedy stage 1 (784-100-784): validation MSE": "mse_stage1",
        "greedy stack before fine-tuning: validation MSE": "mse_stacked_before",
        "greedy stack after fine-tuning: validation MSE": "mse_stacked_after",
    },
    "09_gans_on_images": {
        "held-out images (the floor): Fréchet distance": "floor_fd",
        "dense GAN: Fréchet distance": "dense_fd",
        "DCGAN: Fréchet distance": "dcgan_fd",
        "8-Gaussian mixture, plain GAN: modes covered (mean over seeds)": "plain_modes_mean",
        "8-Gaussian mixture, minibatch std: modes covered (mean over seeds)":
            "mbstd_modes_mean",
    },
}

REFERENCES = {
    "03_stacked_autoencoder": {"stacked autoencoder: validation MSE": "<= 0.0132 (textbook)"},
    "04_tying_weights": {"tied autoencoder: validation MSE": "<= 0.0133 (textbook)",
                         "tied autoencoder: parameters": "82,414"},
    "05_greedy_layerwise": {
        "greedy stack after fine-tuning: validation MSE": "<= 0.0133 (textbook)"},
}
