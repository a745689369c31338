"""apiweld.mock"""
