"""apiweld.testing"""
