"""The figures each lesson teaches, read from the lesson's own run.

Each expression is evaluated in the namespace of the solved notebook after it has run (see
``grading_speed.lessons``), so the models exist once, in the lessons. REFERENCES gives what
each figure is compared with (the textbook, or the lesson's "What you should see" cell).
"""

FIGURES = {
    "01_generative_models": {
        "real ring: TV distance from an even cover, mean of 3 samples":
            "np.mean([r[0] for r in coverage['real ring']])",
        "GAN: TV distance from an even cover, mean of 3 seeds":
            "np.mean([r[0] for r in coverage['GAN']])",
        "GAN: spread (std) over the seeds": "np.std([r[0] for r in coverage['GAN']])",
        "DDPM: TV distance from an even cover, mean of 3 seeds":
            "np.mean([r[0] for r in coverage['DDPM']])",
        "DDPM: spread (std) over the seeds": "np.std([r[0] for r in coverage['DDPM']])",
    },
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
    "07_variational_autoencoder": {
        "Fréchet distance: data floor (held-out images)": "fd[measure.DATA]",
        "Fréchet distance: VAE, z ~ N(0, I)": "fd['VAE, z ~ N(0, I)']",
        "Fréchet distance: plain autoencoder, z ~ N(0, I)": "fd['plain AE, z ~ N(0, I)']",
    },
    "09_gans_on_images": {
        "held-out images (the floor): Fréchet distance": "floor_fd",
        "dense GAN: Fréchet distance": "dense_fd",
        "DCGAN: Fréchet distance": "dcgan_fd",
        "8-Gaussian mixture, plain GAN: modes covered (mean over seeds)": "plain_modes_mean",
        "8-Gaussian mixture, minibatch std: modes covered (mean over seeds)":
            "mbstd_modes_mean",
    },
    "10_diffusion_on_images": {
        "brief training of the lesson's U-Net: loss of the last 20 steps":
            "float(np.mean(losses[-20:]))",
        "your U-Net after brief training: validation noise-prediction loss": "loss_student",
        "shipped U-Net: validation noise-prediction loss": "loss_shipped",
        "data floor: Fréchet distance, validation vs training images": "fd_floor",
        "shipped U-Net, DDPM 500 steps: Fréchet distance": "fd_ddpm[500]",
        "shipped U-Net, DDPM respaced to 50 steps: Fréchet distance": "fd_ddpm[50]",
        "shipped U-Net, DDIM 10 steps: Fréchet distance": "fd_ddim[10]",
        "shipped U-Net, DDIM 25 steps: Fréchet distance": "fd_ddim[25]",
        "shipped U-Net, DDIM 50 steps: Fréchet distance": "fd_ddim[50]",
        "shipped U-Net, DDPM 500 steps: seconds": "seconds['DDPM', 500]",
        "shipped U-Net, DDIM 50 steps: seconds": "seconds['DDIM', 50]",
        "the course's measure (2,000 images, DDPM respaced to 50 steps): Fréchet distance":
            "fd_course['DDPM respaced to 50 steps (shipped U-Net)']",
    },
}

REFERENCES = {
    "03_stacked_autoencoder": {"stacked autoencoder: validation MSE": "<= 0.0132 (textbook)"},
    "04_tying_weights": {"tied autoencoder: validation MSE": "<= 0.0133 (textbook)",
                         "tied autoencoder: parameters": "82,414"},
    "05_greedy_layerwise": {
        "greedy stack after fine-tuning: validation MSE": "<= 0.0133 (textbook)"},
    "10_diffusion_on_images": {
        "brief training of the lesson's U-Net: loss of the last 20 steps": "0.17 (lesson)",
        "your U-Net after brief training: validation noise-prediction loss": "0.161 (lesson)",
        "shipped U-Net: validation noise-prediction loss": "0.088 (lesson)",
        "data floor: Fréchet distance, validation vs training images": "3.9 (lesson)",
        "shipped U-Net, DDPM 500 steps: Fréchet distance": "45.2 (lesson)",
        "shipped U-Net, DDPM respaced to 50 steps: Fréchet distance": "54.6 (lesson)",
        "shipped U-Net, DDIM 10 steps: Fréchet distance": "83.9 (lesson)",
        "shipped U-Net, DDIM 25 steps: Fréchet distance": "63.3 (lesson)",
        "shipped U-Net, DDIM 50 steps: Fréchet distance": "69.4 (lesson)",
        "shipped U-Net, DDPM 500 steps: seconds": "30.4 (lesson)",
        "shipped U-Net, DDIM 50 steps: seconds": "2.4 (lesson)",
    },
}
