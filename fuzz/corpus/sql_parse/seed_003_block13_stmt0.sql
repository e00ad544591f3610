    USE master;  
