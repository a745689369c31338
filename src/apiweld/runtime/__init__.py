"""apiweld.runtime"""
