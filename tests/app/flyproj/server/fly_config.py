# fly_config.py - what a Flyton install keeps here (not read by inphms)
sys_mode = "dev"
sys_root = "flyproj"
